/**
 * Many instances on PostgreSQL without Redis: revocations travel over LISTEN/NOTIFY. A killed
 * listening connection is reopened, and what was revoked meanwhile still arrives within a second.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestApp, STRONG_PASSWORD, type TestApp, uniqueEmail } from "../support/test-app.js";
import { createPostgresSchema, POSTGRES_TEST_URL, uniqueRedisPrefix } from "../support/test-stores.js";

const ONE_SECOND = 1_000;
const prefix = uniqueRedisPrefix();
let a: TestApp;
let b: TestApp;

beforeAll(async () => {
  const schema = await createPostgresSchema();
  const env = { DATABASE_URL: schema.url, PORTCULLIS_REDIS_PREFIX: prefix };
  a = await createTestApp({ env, redis: false });
  b = await createTestApp({ env, redis: false });
});
afterAll(async () => {
  await a?.close();
  await b?.close();
});

async function eventually(check: () => Promise<boolean>, limitMs: number, what: string): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > limitMs) throw new Error(`${what} did not happen within ${limitMs} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return performance.now() - started;
}

async function loggedOutOnAThenRefusedOnB(): Promise<number> {
  const email = uniqueEmail("notify");
  expect((await a.post("/v1/auth/register", { email, password: STRONG_PASSWORD })).statusCode).toBe(201);
  const { accessToken } = (await a.post("/v1/auth/login", { email, password: STRONG_PASSWORD })).json<{
    accessToken: string;
  }>();
  expect((await b.get("/v1/me", bearer(accessToken))).statusCode).toBe(200);
  expect((await a.post("/v1/auth/logout", {}, bearer(accessToken))).statusCode).toBe(204);
  return eventually(
    async () => (await b.get("/v1/me", bearer(accessToken))).statusCode === 401,
    ONE_SECOND,
    "revocation on B",
  );
}

/** Ends the listening connections of this test's instances, as a network cut would. */
async function killListeners(): Promise<number> {
  const admin = new pg.Client({ connectionString: POSTGRES_TEST_URL });
  await admin.connect();
  try {
    const { rowCount } = await admin.query(
      "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'portcullis-revocations' and query like $1",
      [`%${prefix}revocations%`],
    );
    return rowCount ?? 0;
  } finally {
    await admin.end();
  }
}

describe("revocations over PostgreSQL LISTEN/NOTIFY", () => {
  it("carry a logout on A to B, and readiness names the bus", async () => {
    const delay = await loggedOutOnAThenRefusedOnB();
    expect(delay).toBeLessThan(ONE_SECOND);
    const ready = (await b.get("/readyz")).json<{ checks: Record<string, { status: string }> }>();
    expect(ready.checks.revocation_bus?.status).toBe("ok");
    expect(ready.checks.redis).toBeUndefined();
  });

  it("reopen a killed listening connection, and keep the bound meanwhile", async () => {
    expect(await killListeners()).toBe(2);
    // Right after the cut: either the bus is back already or B polls SQL; within a second either way.
    expect(await loggedOutOnAThenRefusedOnB()).toBeLessThan(ONE_SECOND);
    await eventually(
      async () => (await b.get("/readyz")).json<{ status: string }>().status === "ok",
      5_000,
      "the bus reconnecting",
    );
    expect(await loggedOutOnAThenRefusedOnB()).toBeLessThan(ONE_SECOND);
  });
});
