/**
 * Instances reuse a resolved session cookie and its user for a few seconds instead of reading SQL
 * on every request. Nothing may lag behind that: a logout on A, a step-up on A that replaces the
 * cookie secret, and a deleted account all stop B from accepting the cookie it had cached, and a
 * profile changed on A is what B answers next.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setCookie, withCsrf } from "../support/cookies.js";
import { createTestApp, STRONG_PASSWORD, type TestApp, uniqueEmail } from "../support/test-app.js";
import { createPostgresSchema, uniqueRedisPrefix } from "../support/test-stores.js";

const ONE_SECOND = 1_000;
let a: TestApp;
let b: TestApp;

beforeAll(async () => {
  const schema = await createPostgresSchema();
  const env = { DATABASE_URL: schema.url, PORTCULLIS_REDIS_PREFIX: uniqueRedisPrefix() };
  a = await createTestApp({ env });
  b = await createTestApp({ env });
});
afterAll(async () => {
  await a?.close();
  await b?.close();
});

async function eventually(check: () => Promise<boolean>, limitMs: number, what: string): Promise<void> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > limitMs) throw new Error(`${what} did not happen within ${limitMs} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** A cookie session opened on A and already resolved (so cached) on B. */
async function cookieSessionSeenByB() {
  const email = uniqueEmail("cookie-cache");
  expect((await a.post("/v1/auth/register", { email, password: STRONG_PASSWORD })).statusCode).toBe(201);
  const login = await a.post("/v1/auth/login", { email, password: STRONG_PASSWORD, transport: "cookie" });
  expect(login.statusCode).toBe(200);
  const cookie = { cookie: `pc_session=${setCookie(login, "pc_session").value}` };
  expect((await b.get("/v1/me", cookie)).statusCode).toBe(200);
  expect((await b.get("/v1/me", cookie)).statusCode).toBe(200);
  return { email, cookie };
}

const refusedOnB = (cookie: { cookie: string }) => async () =>
  (await b.get("/v1/me", cookie)).statusCode === 401;

describe("cached cookie sessions across two instances", () => {
  it("a logout on A is refused by B at once", async () => {
    const { cookie } = await cookieSessionSeenByB();
    const logout = await a.post("/v1/auth/logout", {}, await withCsrf(a, cookie));
    expect(logout.statusCode).toBe(204);
    await eventually(refusedOnB(cookie), ONE_SECOND, "B refusing the logged-out cookie");
  });

  it("a step-up on A replaces the cookie secret: B drops its cached copy of the old one", async () => {
    const { cookie } = await cookieSessionSeenByB();
    const renewed = await a.post(
      "/v1/auth/reauthenticate",
      { password: STRONG_PASSWORD },
      await withCsrf(a, cookie),
    );
    expect(renewed.statusCode).toBe(200);
    const fresh = { cookie: `pc_session=${setCookie(renewed, "pc_session").value}` };
    await eventually(refusedOnB(cookie), ONE_SECOND, "B refusing the replaced cookie");
    expect((await b.get("/v1/me", fresh)).statusCode).toBe(200);
  });

  it("a profile changed on A is what B answers next, cached copy or not", async () => {
    const { cookie } = await cookieSessionSeenByB();
    const patched = await a.app.inject({
      method: "PATCH",
      url: "/v1/me",
      headers: { ...(await withCsrf(a, cookie)), "content-type": "application/json" },
      payload: JSON.stringify({ name: "Renamed on A" }),
    });
    expect(patched.statusCode).toBe(200);
    const nameOnB = async () =>
      (await b.get("/v1/me", cookie)).json<{ user: { name: string | null } }>().user.name;
    await eventually(
      async () => (await nameOnB()) === "Renamed on A",
      ONE_SECOND,
      "B answering the new name",
    );
  });

  it("an account deleted on A loses its cookie on B", async () => {
    const { email, cookie } = await cookieSessionSeenByB();
    const victim = (await b.get("/v1/me", cookie)).json<{ user: { id: string; email: string } }>().user;
    expect(victim.email).toBe(email);
    const deleted = await a.services.userAdmin.deleteUser(victim.id, {
      userId: victim.id,
      client: { ip: "127.0.0.1", userAgent: null },
    });
    expect(deleted).toBe("deleted");
    await eventually(refusedOnB(cookie), ONE_SECOND, "B refusing a deleted user's cookie");
  });
});
