/**
 * Invariant: a cookie login (`transport: "cookie"`) sets exactly the cookie of API.md
 * "Conventions" — `pc_session` (`__Host-pc_session` over https), HttpOnly, SameSite=Lax, Path=/,
 * Secure when secure — carrying at least 128 random bits that are stored only hashed; every login
 * gets a new id, so a cookie planted before login is neither kept nor alive (fixation,
 * security.md §2.2 item 13); the cookie authenticates every endpoint like a bearer token (a
 * bearer token wins when both are sent); logout kills it at once and clears it; and the server
 * ends it after the idle timeout (sliding) and at its absolute lifetime (ASVS 7.3.1, 7.3.2).
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setCookie, setCookies, withCsrf } from "../support/cookies.js";
import { expectProblem } from "../support/problem-assertions.js";
import {
  bearer,
  createManualClock,
  createTestApp,
  STRONG_PASSWORD,
  type TestApp,
  uniqueEmail,
} from "../support/test-app.js";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

async function cookieLogin(
  t: TestApp,
  email: string,
  options: { rememberMe?: boolean; cookie?: string } = {},
) {
  const response = await t.post(
    "/v1/auth/login",
    {
      email,
      password: STRONG_PASSWORD,
      transport: "cookie",
      ...(options.rememberMe ? { rememberMe: true } : {}),
    },
    options.cookie === undefined ? {} : { cookie: options.cookie },
  );
  expect(response.statusCode, response.body).toBe(200);
  return response;
}

async function register(t: TestApp, email = uniqueEmail()): Promise<string> {
  const response = await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD });
  expect(response.statusCode, response.body).toBe(201);
  return email;
}

describe("cookie sessions over plain http", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it("sets pc_session HttpOnly, SameSite=Lax, Path=/, not Secure, with no-store and a {user, session} body", async () => {
    const email = await register(t);
    const response = await cookieLogin(t, email);
    const cookie = setCookie(response, "pc_session");
    expect(cookie.attributes).toMatchObject({ httponly: "", samesite: "Lax", path: "/" });
    expect(cookie.attributes).not.toHaveProperty("secure");
    expect(cookie.attributes).not.toHaveProperty("domain");
    // Without remember-me it is a browser-session cookie.
    expect(cookie.attributes).not.toHaveProperty("max-age");
    expect(Buffer.from(cookie.value, "base64url").length).toBeGreaterThanOrEqual(16);
    expect(response.headers["cache-control"]).toBe("no-store");
    const body = response.json<{ user: { email: string }; session: { id: string; expiresAt: string } }>();
    expect(Object.keys(body).sort()).toEqual(["session", "user"]);
    expect(body.user.email).toBe(email);
    expect(Object.keys(body.session).sort()).toEqual(["expiresAt", "id"]);
    expect(new Date(body.session.expiresAt).toISOString()).toBe(body.session.expiresAt);
    expect(response.body).not.toContain(cookie.value);
    // No refresh token, no pc_refresh cookie for a cookie session.
    expect(setCookies(response).map((c) => c.name)).toEqual(["pc_session"]);
  });

  it("stores only the SHA-256 of the cookie", async () => {
    const email = await register(t);
    const response = await cookieLogin(t, email);
    const { value } = setCookie(response, "pc_session");
    const { id } = response.json<{ session: { id: string } }>().session;
    const row = await t.database.db
      .selectFrom("sessions")
      .select(["token_hash", "transport"])
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({
      token_hash: createHash("sha256").update(value).digest("hex"),
      transport: "cookie",
    });
    const dump = JSON.stringify(await t.database.db.selectFrom("sessions").selectAll().execute());
    expect(dump).not.toContain(value);
  });

  it("gives remember-me cookies a Max-Age of the remember-me lifetime", async () => {
    const email = await register(t);
    const cookie = setCookie(await cookieLogin(t, email, { rememberMe: true }), "pc_session");
    expect(Number(cookie.attributes["max-age"])).toBe(t.config.rememberMeTtlSeconds);
  });

  it("authenticates GET /v1/me with the cookie", async () => {
    const email = await register(t);
    const { value } = setCookie(await cookieLogin(t, email), "pc_session");
    const me = await t.get("/v1/me", { cookie: `pc_session=${value}` });
    expect(me.statusCode, me.body).toBe(200);
    expect(me.json<{ user: { email: string } }>().user.email).toBe(email);
  });

  it("answers 401 invalid_token for an unknown cookie", async () => {
    expectProblem(await t.get("/v1/me", { cookie: "pc_session=forged-value" }), 401, "invalid_token");
  });

  it("lets a bearer token win over a cookie when both are sent", async () => {
    const email = await register(t);
    const other = await t.signUp();
    const { value } = setCookie(await cookieLogin(t, email), "pc_session");
    const me = await t.get("/v1/me", { ...bearer(other.accessToken), cookie: `pc_session=${value}` });
    expect(me.statusCode, me.body).toBe(200);
    expect(me.json<{ user: { id: string } }>().user.id).toBe(other.user.id);
    // And a failing bearer token is not rescued by a good cookie.
    expectProblem(
      await t.get("/v1/me", { authorization: "Bearer nope", cookie: `pc_session=${value}` }),
      401,
      "invalid_token",
    );
  });

  it("issues a new id at every login: a planted cookie is not kept and stays dead (fixation)", async () => {
    const email = await register(t);
    const planted = "attacker-chosen-session-id-0123456789abcdef";
    const response = await cookieLogin(t, email, { cookie: `pc_session=${planted}` });
    const { value } = setCookie(response, "pc_session");
    expect(value).not.toBe(planted);
    expectProblem(await t.get("/v1/me", { cookie: `pc_session=${planted}` }), 401, "invalid_token");
    // A cookie from an earlier login is not carried over either.
    const again = setCookie(await cookieLogin(t, email, { cookie: `pc_session=${value}` }), "pc_session");
    expect(again.value).not.toBe(value);
  });

  it("logout with the cookie revokes the session at once and clears the cookie", async () => {
    const email = await register(t);
    const { value } = setCookie(await cookieLogin(t, email), "pc_session");
    const cookie = { cookie: `pc_session=${value}` };
    const logout = await t.post("/v1/auth/logout", undefined, await withCsrf(t, cookie));
    expect(logout.statusCode, logout.body).toBe(204);
    const cleared = setCookie(logout, "pc_session");
    expect(cleared.value).toBe("");
    expect(cleared.attributes).toMatchObject({ path: "/" });
    expect(new Date(cleared.attributes.expires ?? "").getTime()).toBeLessThan(Date.now());
    expectProblem(await t.get("/v1/me", cookie), 401, "invalid_token");
  });

  it("logout-all from a bearer session kills the user's cookie sessions too", async () => {
    const email = uniqueEmail();
    const tokens = await t.signUp(email);
    const { value } = setCookie(await cookieLogin(t, email), "pc_session");
    const logoutAll = await t.post("/v1/auth/logout-all", undefined, bearer(tokens.accessToken));
    expect(logoutAll.statusCode, logoutAll.body).toBe(204);
    expectProblem(await t.get("/v1/me", { cookie: `pc_session=${value}` }), 401, "invalid_token");
  });
});

describe("cookie sessions over https", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { PORTCULLIS_PUBLIC_URL: "https://auth.portcullis.test" } });
  });
  afterAll(() => t.close());

  it("sets __Host-pc_session Secure, HttpOnly, SameSite=Lax, Path=/ and no Domain", async () => {
    const email = await register(t);
    const response = await cookieLogin(t, email);
    const cookie = setCookie(response, "__Host-pc_session");
    expect(cookie.attributes).toMatchObject({ secure: "", httponly: "", samesite: "Lax", path: "/" });
    expect(cookie.attributes).not.toHaveProperty("domain");
    expect(setCookies(response).some((c) => c.name === "pc_session")).toBe(false);
    const me = await t.get("/v1/me", { cookie: `__Host-pc_session=${cookie.value}` });
    expect(me.statusCode, me.body).toBe(200);
    // The unprefixed name is not read when cookies are secure.
    expectProblem(await t.get("/v1/me", { cookie: `pc_session=${cookie.value}` }), 401, "unauthenticated");
  });
});

describe("cookie session expiry", () => {
  const clock = createManualClock(Date.now());
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ clock, env: { PORTCULLIS_SESSION_IDLE_TIMEOUT: "30m" } });
  });
  afterAll(() => t.close());

  const me = (value: string) => t.get("/v1/me", { cookie: `pc_session=${value}` });

  it("ends a session idle for longer than the idle timeout", async () => {
    const email = await register(t);
    const { value } = setCookie(await cookieLogin(t, email), "pc_session");
    clock.advance(29 * MINUTE);
    expect((await me(value)).statusCode).toBe(200);
    // That request slid the deadline: 29 more minutes are fine, 31 without a request are not.
    clock.advance(29 * MINUTE);
    expect((await me(value)).statusCode).toBe(200);
    clock.advance(31 * MINUTE);
    expectProblem(await me(value), 401, "invalid_token");
  });

  it("ends an active session at its absolute lifetime", async () => {
    const email = await register(t);
    const { value } = setCookie(await cookieLogin(t, email), "pc_session");
    const lifetime = t.config.refreshTokenTtlSeconds * 1000;
    // Active every 20 minutes, so the idle timeout never fires.
    for (let elapsed = 20 * MINUTE; elapsed < lifetime; elapsed += 20 * MINUTE) {
      clock.advance(20 * MINUTE);
      if (elapsed % DAY === 0 || elapsed + 20 * MINUTE >= lifetime) {
        expect((await me(value)).statusCode).toBe(200);
      } else {
        await me(value);
      }
    }
    clock.advance(20 * MINUTE);
    expectProblem(await me(value), 401, "invalid_token");
  });

  it("has no idle timeout with remember-me, only the remember-me lifetime", async () => {
    const email = await register(t);
    const { value } = setCookie(await cookieLogin(t, email, { rememberMe: true }), "pc_session");
    clock.advance(10 * DAY);
    expect((await me(value)).statusCode).toBe(200);
    clock.advance(t.config.rememberMeTtlSeconds * 1000 - 10 * DAY);
    expectProblem(await me(value), 401, "invalid_token");
  });

  it("slides the idle deadline at most once a minute", async () => {
    const email = await register(t);
    const response = await cookieLogin(t, email);
    const { value } = setCookie(response, "pc_session");
    const { id } = response.json<{ session: { id: string } }>().session;
    const idle = async () =>
      Number(
        (
          await t.database.db
            .selectFrom("sessions")
            .select("idle_expires_at")
            .where("id", "=", id)
            .executeTakeFirstOrThrow()
        ).idle_expires_at,
      );
    const first = await idle();
    clock.advance(30_000);
    await me(value);
    expect(await idle()).toBe(first);
    clock.advance(30_000);
    await me(value);
    expect(await idle()).toBe(first + MINUTE);
  });
});
