/**
 * Invariant: a secret that works once works once even when the requests presenting it at the
 * same moment reach different instances — a refresh token rotates once, a backup code, a TOTP
 * code, a reset link, an email-change link and a social-login exchange code each succeed once,
 * one address makes one account, and two administrators demoting each other leave one. Three
 * server processes share one PostgreSQL and one Redis; the concurrent requests of each trial are
 * spread over the three. The same races run on SQLite in `races/races.single-instance.test.ts`.
 * Each race runs its trials (PORTCULLIS_RACE_TRIALS, `npm run races`: 100) and must hold in
 * every one.
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import { openSqlDatabase, type SqlDatabase } from "../../src/store/sql/database.js";
import { type Cluster, startCluster } from "../support/cluster.js";
import { type FakeGitHub, startFakeGitHub } from "../support/fake-github.js";
import { type OutboxWatcher, watchOutbox } from "../support/outbox-watcher.js";
import { expectEveryTrialHeld, raceTrials } from "../support/race-harness.js";
import { RACES, type RaceDeployment, type RaceName, raceEnvironment } from "../support/race-scenarios.js";
import { createTestApp, STRONG_PASSWORD, uniqueEmail } from "../support/test-app.js";

/**
 * Trials in `npm test`, where the whole suite must fit in about 90 s. Across processes a trial
 * costs far more than on one: every refused refresh appends to the audit chain under one lock,
 * resets and registrations hash at production cost, mail crosses the outbox, accounts sign in
 * through the provider. On two shared, loaded cores 100 trials took 11 s (exchange code), 23 s
 * (last admin) and 106–187 s (each of the others). `npm run races` runs 100 of each.
 */
const TRIALS_IN_NPM_TEST: Record<RaceName, number> = {
  refreshToken: 5,
  backupCode: 5,
  totpCode: 5,
  passwordReset: 5,
  emailChange: 5,
  exchangeCode: 100,
  registration: 5,
  lastAdmin: 50,
};
/** Generous: about 1.9 s a trial was the slowest seen. */
const timeoutFor = (trials: number) => 60_000 + trials * 5_000;

/**
 * An administrator in the cluster's database, made through the user service of an app built on
 * it for the moment (and closed before its workers could take the cluster's mail).
 */
async function createAdministrator(databaseUrl: string, login: { email: string; password: string }) {
  const operator = await createTestApp({ env: { DATABASE_URL: databaseUrl }, redis: false });
  try {
    const created = await operator.services.users.createUser(
      { ...login, roles: ["user", "admin"], emailVerified: true },
      null,
    );
    if (!created.ok) throw new Error(`createUser failed: ${created.code}`);
  } finally {
    await operator.close();
  }
}

let github: FakeGitHub;
let cluster: Cluster;
let database: SqlDatabase;
let outbox: OutboxWatcher;
let deployment: RaceDeployment;

beforeAll(async () => {
  github = await startFakeGitHub();
  cluster = await startCluster(3, raceEnvironment(github));
  const bootstrapAdmin = { email: uniqueEmail("root"), password: STRONG_PASSWORD };
  await createAdministrator(cluster.env.DATABASE_URL ?? "", bootstrapAdmin);
  database = await openSqlDatabase(cluster.env.DATABASE_URL ?? "", { poolSize: 2, migrate: false });
  outbox = watchOutbox(cluster.env.PORTCULLIS_MAIL_OUTBOX ?? "");
  deployment = {
    backend: "PostgreSQL + Redis, three instances",
    endpoints: cluster.instances,
    github,
    outbox,
    database,
    bootstrapAdmin,
    // The processes hash at production cost; a social sign-in costs none.
    signInWith: "github",
  };
}, 240_000);
afterAll(async () => {
  outbox?.close();
  await database?.close();
  await cluster?.stop();
  await github?.close();
});

describe("races › PostgreSQL + Redis, three instances", () => {
  for (const race of RACES) {
    const trials = raceTrials(TRIALS_IN_NPM_TEST[race.name]);
    it(
      race.behaviour,
      async () => expectEveryTrialHeld(await race.run(deployment, trials)),
      timeoutFor(trials),
    );
  }
});
