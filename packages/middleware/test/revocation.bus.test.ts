/**
 * Invariant: a service that subscribes to Portcullis's revocation bus (Redis pub/sub,
 * `<prefix>revocations`) refuses the tokens of a revoked session, and of a user cut off, within
 * the bus delay (well under the one second API.md allows between instances), including what was
 * revoked while it was not listening — before it started, or while its Redis connection was
 * down — which it reads back from Portcullis (`GET /v1/auth/revocations`) whenever it
 * (re)subscribes. A user cut off also loses the API keys the service had cached.
 *
 * The server publishes on Redis when it runs with REDIS_URL (the PostgreSQL + Redis run of the
 * suite); on SQLite alone it has no Redis, so the test publishes exactly what it would.
 */
import { performance } from "node:perf_hooks";
import {
  createRevocationListener,
  createTokenVerifier,
  type RevocationEvent,
  type RevocationListener,
} from "@portcullis/middleware";
import { Redis } from "ioredis";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createExpressExample } from "../../../examples/express-api/src/app.js";
import type { ExampleConfig, ExampleService } from "../../../examples/fastify-api/src/app.js";
import { createFastifyExample } from "../../../examples/fastify-api/src/app.js";
import {
  createApiKey,
  createManualClock,
  createSignedInUser,
  type SignedIn,
  send,
  startPortcullis,
  type TestApp,
} from "./support/portcullis.js";
import { REDIS_URL, redisAvailable, uniquePrefix } from "./support/redis.js";

const EXAMPLES: Array<[string, (config: ExampleConfig) => ExampleService]> = [
  ["Express", createExpressExample],
  ["Fastify", createFastifyExample],
];

const redisUp = await redisAvailable("instant revocation over Redis");

/** Resolves with the first event the listener applies that matches. */
function nextEvent(listener: RevocationListener, matches: (event: RevocationEvent) => boolean) {
  return new Promise<RevocationEvent>((resolve) => {
    const stop = listener.onEvent((event) => {
      if (!matches(event)) return;
      stop();
      resolve(event);
    });
  });
}

describe.runIf(redisUp)("instant revocation over the Redis bus", () => {
  const clock = createManualClock(Date.now());
  let portcullis: TestApp;
  let portcullisUrl: string;
  let admin: SignedIn;
  let introspectionKey: string;
  let publisher: Redis;
  let prefix: string;
  let serverPublishes: boolean;

  beforeAll(async () => {
    const started = await startPortcullis(clock);
    ({ portcullis, admin, introspectionKey } = started);
    portcullisUrl = started.url;
    serverPublishes = portcullis.config.redisUrl !== undefined;
    prefix = serverPublishes ? portcullis.config.redisPrefix : uniquePrefix();
    publisher = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    publisher?.disconnect();
    await portcullis?.close();
  });

  /** What Portcullis publishes on the bus, when it has none of its own here. */
  async function publishAsPortcullis(event: RevocationEvent): Promise<void> {
    if (!serverPublishes) await publisher.publish(`${prefix}revocations`, JSON.stringify(event));
  }
  const sessionOf = (user: SignedIn) => decodeJwt(user.accessToken).sid as string;

  describe.each(EXAMPLES)("the %s example", (_name, createExample) => {
    let example: ExampleService;
    let exampleUrl: string;
    const me = (user: SignedIn) =>
      fetch(`${exampleUrl}/me`, { headers: { authorization: `Bearer ${user.accessToken}` } });

    beforeAll(async () => {
      example = createExample({
        issuer: portcullis.config.publicUrl,
        audience: portcullis.config.audience,
        portcullisUrl,
        introspectionKey,
        redisUrl: REDIS_URL,
        redisPrefix: prefix,
        clock,
      });
      exampleUrl = await example.listen();
      await example.ready();
      expect(example.revocations?.status).toBe("synced");
    });
    afterAll(() => example?.close());

    it("refuses a revoked session's token within the bus delay, and only that session's", async () => {
      const user = await createSignedInUser(portcullis);
      const sameUserElsewhere = await createSignedInUser(portcullis, ["user"]);
      expect((await me(user)).status).toBe(200);
      const heard = nextEvent(
        example.revocations!,
        (e) => e.kind === "session" && e.sessionId === sessionOf(user),
      );

      const started = performance.now();
      expect((await send(portcullis, "POST", "/v1/auth/logout", user.headers)).statusCode).toBe(204);
      await publishAsPortcullis({ kind: "session", sessionId: sessionOf(user), at: clock.now() });
      await heard;
      const delayMs = performance.now() - started;

      const refused = await me(user);
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ code: "invalid_token" });
      expect(delayMs).toBeLessThan(1_000);
      expect((await me(sameUserElsewhere)).status).toBe(200);
    });

    it("refuses every token of a user disabled at Portcullis, and forgets their cached API keys", async () => {
      const user = await createSignedInUser(portcullis);
      const key = (await createApiKey(portcullis, user, { name: "bot", scopes: ["orders:read"] })).key;
      const viaKey = () => fetch(`${exampleUrl}/integrations/orders`, { headers: { "x-api-key": key } });
      expect((await me(user)).status).toBe(200);
      expect((await viaKey()).status).toBe(200);
      // Disabling cuts off what was issued before the current whole second.
      clock.advance(1_000);
      const heard = nextEvent(example.revocations!, (e) => e.kind === "user" && e.userId === user.user.id);
      const disabled = await send(portcullis, "PATCH", `/v1/admin/users/${user.user.id}`, admin.headers, {
        disabled: true,
      });
      expect(disabled.statusCode, disabled.body).toBe(200);
      await publishAsPortcullis({
        kind: "user",
        userId: user.user.id,
        at: Math.floor(clock.now() / 1000) * 1000,
      });
      await heard;
      expect((await me(user)).status).toBe(401);
      // Within the 10 s the key would otherwise stay cached.
      expect((await viaKey()).status).toBe(401);
    });
  });

  it("catches up on a revocation made before it started listening", async () => {
    const user = await createSignedInUser(portcullis);
    expect((await send(portcullis, "POST", "/v1/auth/logout", user.headers)).statusCode).toBe(204);
    const example = createFastifyExample({
      issuer: portcullis.config.publicUrl,
      audience: portcullis.config.audience,
      portcullisUrl,
      introspectionKey,
      redisUrl: REDIS_URL,
      redisPrefix: uniquePrefix(),
      clock,
    });
    try {
      const url = await example.listen();
      // No message on its channel ever: only the catch-up can tell it.
      const refused = await fetch(`${url}/me`, { headers: { authorization: `Bearer ${user.accessToken}` } });
      expect(refused.status).toBe(401);
      expect(example.revocations?.status).toBe("synced");
    } finally {
      await example.close();
    }
  });

  it("reads back what it missed after its Redis connection dropped", async () => {
    const connectionName = `pcmw-test-${process.pid}-${Date.now()}`;
    const listenerPrefix = uniquePrefix();
    const revocations = createRevocationListener({
      redisUrl: REDIS_URL,
      prefix: listenerPrefix,
      portcullisUrl,
      apiKey: introspectionKey,
      connectionName,
      clock,
    });
    const verifier = createTokenVerifier({
      issuer: portcullis.config.publicUrl,
      audience: portcullis.config.audience,
      jwksUrl: `${portcullisUrl}/.well-known/jwks.json`,
      revocations,
      clock,
    });
    try {
      await verifier.ready();
      expect(revocations.status).toBe("synced");
      const user = await createSignedInUser(portcullis);
      expect((await verifier.verify(user.accessToken)).ok).toBe(true);

      // Revoked while nothing is published on its channel: it cannot know yet.
      expect((await send(portcullis, "POST", "/v1/auth/logout", user.headers)).statusCode).toBe(204);
      expect((await verifier.verify(user.accessToken)).ok).toBe(true);

      // Its connection drops; ioredis reconnects, it subscribes again and reads back what it missed.
      const heard = nextEvent(revocations, (e) => e.kind === "session" && e.sessionId === sessionOf(user));
      const list = (await publisher.call("CLIENT", "LIST")) as string;
      const id = list
        .split("\n")
        .find((line) => line.includes(` name=${connectionName} `))
        ?.match(/^id=(\d+)/)?.[1];
      expect(id).toBeDefined();
      await publisher.call("CLIENT", "KILL", "ID", id ?? "");
      await heard;
      expect(await verifier.verify(user.accessToken)).toMatchObject({ ok: false, reason: "revoked" });
      expect(revocations.status).toBe("synced");
    } finally {
      await revocations.close();
    }
  });
});
