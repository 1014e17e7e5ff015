/**
 * Redis goes away and comes back while two instances serve one deployment. Without it logins go
 * on (each instance's insurance limiter), revocations keep their one-second bound (instances poll
 * PostgreSQL), /readyz stays 200 but names Redis degraded; once Redis is back everything recovers
 * without a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OwnRedisServer, startOwnRedisServer } from "../support/redis-server.js";
import { bearer, createTestApp, STRONG_PASSWORD, type TestApp, uniqueEmail } from "../support/test-app.js";
import { createPostgresSchema, uniqueRedisPrefix } from "../support/test-stores.js";

const ONE_SECOND = 1_000;

let redis: OwnRedisServer;
let a: TestApp;
let b: TestApp;

beforeAll(async () => {
  redis = await startOwnRedisServer();
  const schema = await createPostgresSchema();
  const env = {
    DATABASE_URL: schema.url,
    REDIS_URL: redis.url,
    PORTCULLIS_REDIS_PREFIX: uniqueRedisPrefix(),
    PORTCULLIS_LOGIN_RATE_LIMIT: "5/15m",
  };
  a = await createTestApp({ env });
  b = await createTestApp({ env });
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await redis?.stop();
});

async function readiness(t: TestApp) {
  const response = await t.get("/readyz");
  return {
    status: response.statusCode,
    body: response.json<{ status: string; checks: Record<string, { status: string }> }>(),
  };
}

/** Resolves once `check` holds, checking on every turn of the event loop; fails after `limitMs`. */
async function eventually(check: () => Promise<boolean>, limitMs: number, what: string): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > limitMs) throw new Error(`${what} did not happen within ${limitMs} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return performance.now() - started;
}

async function signUpOn(t: TestApp) {
  const email = uniqueEmail("outage");
  expect((await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD })).statusCode).toBe(201);
  const login = await t.post("/v1/auth/login", { email, password: STRONG_PASSWORD });
  expect(login.statusCode).toBe(200);
  return { email, ...login.json<{ accessToken: string }>() };
}

describe("Redis stopped and restarted under two instances", () => {
  it("serves on while Redis is down, then recovers without a restart", async () => {
    const before = await signUpOn(a);
    expect(await readiness(a)).toMatchObject({ status: 200, body: { status: "ok" } });

    await redis.stop();

    // Degraded, not unready: a load balancer must not pull every instance at once.
    await eventually(
      async () => (await readiness(a)).body.checks.redis?.status === "degraded",
      5_000,
      "degraded",
    );
    expect(await readiness(a)).toMatchObject({
      status: 200,
      body: { status: "degraded", checks: { database: { status: "ok" }, redis: { status: "degraded" } } },
    });

    // Logins go on, and so does the brute-force limit, on the instance's insurance limiter.
    const during = await signUpOn(b);
    for (let i = 0; i < 5; i++) {
      expect(
        (await a.post("/v1/auth/login", { email: during.email, password: "wrong-password-1" })).statusCode,
      ).toBe(401);
    }
    expect(
      (await a.post("/v1/auth/login", { email: during.email, password: STRONG_PASSWORD })).statusCode,
    ).toBe(429);

    // A logout on A still reaches B within a second: B polls PostgreSQL while the bus is down.
    expect((await b.get("/v1/me", bearer(before.accessToken))).statusCode).toBe(200);
    expect((await a.post("/v1/auth/logout", {}, bearer(before.accessToken))).statusCode).toBe(204);
    const delay = await eventually(
      async () => (await b.get("/v1/me", bearer(before.accessToken))).statusCode === 401,
      ONE_SECOND,
      "revocation on B while Redis is down",
    );
    console.log(`revocation propagation while Redis is down (SQL polling): ${delay.toFixed(0)} ms`);

    await redis.start();

    await eventually(async () => (await readiness(a)).body.status === "ok", 10_000, "recovery of A");
    await eventually(async () => (await readiness(b)).body.status === "ok", 10_000, "recovery of B");
    // Everything accepted during the outage is still there, and the bus carries revocations again.
    const after = await b.post("/v1/auth/login", { email: during.email, password: STRONG_PASSWORD });
    expect(after.statusCode).toBe(200);
    const { accessToken } = after.json<{ accessToken: string }>();
    expect((await a.get("/v1/me", bearer(accessToken))).statusCode).toBe(200);
    expect((await b.post("/v1/auth/logout", {}, bearer(accessToken))).statusCode).toBe(204);
    await eventually(
      async () => (await a.get("/v1/me", bearer(accessToken))).statusCode === 401,
      ONE_SECOND,
      "revocation on A after recovery",
    );
  });
});
