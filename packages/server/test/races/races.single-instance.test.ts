/**
 * Invariant: a secret that works once works once however many requests present it at the same
 * moment — a refresh token rotates once, a backup code, a TOTP code, a reset link, an
 * email-change link and a social-login exchange code each succeed once, one address makes one
 * account, and two administrators demoting each other leave one. Here on SQLite, one instance
 * listening on a real port, the requests sent over real sockets; the same races run on
 * PostgreSQL + Redis across three processes in `scale-out/races.three-instances.test.ts`. Each
 * race runs 100 trials (PORTCULLIS_RACE_TRIALS changes it) and must hold in every one.
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import { type FakeGitHub, startFakeGitHub } from "../support/fake-github.js";
import { type OutboxWatcher, watchOutbox } from "../support/outbox-watcher.js";
import { expectEveryTrialHeld, raceTrials } from "../support/race-harness.js";
import { RACES, type RaceDeployment, raceEnvironment } from "../support/race-scenarios.js";
import { createTestApp, STRONG_PASSWORD, type TestApp, uniqueEmail } from "../support/test-app.js";

/** Generous: 100 trials of the costliest race took 17 s on two shared, heavily loaded cores. */
const timeoutFor = (trials: number) => 30_000 + trials * 2_000;

let github: FakeGitHub;
let t: TestApp;
let outbox: OutboxWatcher;
let deployment: RaceDeployment;

beforeAll(async () => {
  github = await startFakeGitHub();
  t = await createTestApp({ env: raceEnvironment(github) });
  const address = await t.app.listen({ host: "127.0.0.1", port: 0 });
  const outboxDir = t.config.mailOutboxDir;
  if (outboxDir === undefined) throw new Error("the test app has no mail outbox folder");
  outbox = watchOutbox(outboxDir);
  const bootstrapAdmin = { email: uniqueEmail("root"), password: STRONG_PASSWORD };
  const created = await t.services.users.createUser(
    { ...bootstrapAdmin, roles: ["user", "admin"], emailVerified: true },
    null,
  );
  if (!created.ok) throw new Error(`createUser failed: ${created.code}`);
  deployment = {
    backend: "SQLite, one instance",
    endpoints: [{ url: address }],
    github,
    outbox,
    database: t.database,
    bootstrapAdmin,
    // The test app hashes with cheap argon2 parameters: a password sign-in is one cheap request.
    signInWith: "password",
  };
});
afterAll(async () => {
  outbox?.close();
  await t?.close();
  await github?.close();
});

describe("races › SQLite, one instance over real sockets", () => {
  for (const race of RACES) {
    const trials = raceTrials();
    it(
      race.behaviour,
      async () => expectEveryTrialHeld(await race.run(deployment, trials)),
      timeoutFor(trials),
    );
  }
});
