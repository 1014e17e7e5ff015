/**
 * Invariant: a state-changing request (POST/PUT/PATCH/DELETE) authenticated by the session cookie
 * succeeds only with `X-CSRF-Token` carrying a token that `GET /v1/auth/csrf` signed for that
 * very session, and only when it does not come from another site (`Sec-Fetch-Site: cross-site`,
 * or an `Origin` other than the public URL's); otherwise `403 csrf_failed` and nothing changes.
 * Bearer requests need no token, nor does `POST /v1/auth/refresh` with the `pc_refresh` cookie
 * (API.md "Conventions"; security.md R8; OWASP CSRF cheat sheet).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setCookie, withCsrf } from "../support/cookies.js";
import { expectProblem } from "../support/problem-assertions.js";
import {
  bearer,
  createTestApp,
  PUBLIC_URL,
  STRONG_PASSWORD,
  type TestApp,
  uniqueEmail,
} from "../support/test-app.js";

describe("CSRF protection of cookie sessions", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  /** A cookie session of a new user, or another device of `existing`. */
  async function browserSession(existing?: string) {
    const email = existing ?? uniqueEmail();
    if (existing === undefined) {
      const registered = await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD });
      expect(registered.statusCode, registered.body).toBe(201);
    }
    const login = await t.post("/v1/auth/login", { email, password: STRONG_PASSWORD, transport: "cookie" });
    expect(login.statusCode, login.body).toBe(200);
    return { email, cookie: { cookie: `pc_session=${setCookie(login, "pc_session").value}` } };
  }

  const rename = (headers: Record<string, string>, name = "Renamed") =>
    t.app.inject({
      method: "PATCH",
      url: "/v1/me",
      headers: { "content-type": "application/json", ...headers },
      payload: JSON.stringify({ name }),
    });

  async function nameOf(cookie: { cookie: string }) {
    const me = await t.get("/v1/me", cookie);
    return me.json<{ user: { name: string | null } }>().user.name;
  }

  it("GET /v1/auth/csrf answers {csrfToken} and sets it as the pc_csrf cookie", async () => {
    const { cookie } = await browserSession();
    const response = await t.get("/v1/auth/csrf", cookie);
    expect(response.statusCode, response.body).toBe(200);
    const { csrfToken } = response.json<{ csrfToken: string }>();
    expect(csrfToken).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const csrfCookie = setCookie(response, "pc_csrf");
    expect(csrfCookie.value).toBe(csrfToken);
    expect(csrfCookie.attributes).toMatchObject({ samesite: "Strict", path: "/" });
    expect(response.headers["cache-control"]).toBe("no-store");
  });

  it("accepts a cookie-authenticated change with the session's token", async () => {
    const { cookie } = await browserSession();
    const response = await rename(await withCsrf(t, cookie), "With token");
    expect(response.statusCode, response.body).toBe(200);
    expect(await nameOf(cookie)).toBe("With token");
  });

  it("refuses a missing token with 403 csrf_failed and changes nothing", async () => {
    const { cookie } = await browserSession();
    expectProblem(await rename(cookie), 403, "csrf_failed");
    expect(await nameOf(cookie)).toBeNull();
  });

  it("refuses a wrong or forged token", async () => {
    const { cookie } = await browserSession();
    const good = (await withCsrf(t, cookie))["x-csrf-token"];
    expectProblem(await rename({ ...cookie, "x-csrf-token": "not-a-token" }), 403, "csrf_failed");
    const [nonce] = good.split(".");
    expectProblem(
      await rename({ ...cookie, "x-csrf-token": `${nonce}.${"A".repeat(43)}` }),
      403,
      "csrf_failed",
    );
  });

  it("refuses a token of another session, of the same user or another, or of no session", async () => {
    const mine = await browserSession();
    const myOtherDevice = await browserSession(mine.email);
    const someoneElse = await browserSession();
    for (const other of [myOtherDevice, someoneElse]) {
      const token = (await withCsrf(t, other.cookie))["x-csrf-token"];
      expectProblem(await rename({ ...mine.cookie, "x-csrf-token": token }), 403, "csrf_failed");
    }
    const anonymous = (await t.get("/v1/auth/csrf")).json<{ csrfToken: string }>().csrfToken;
    expectProblem(await rename({ ...mine.cookie, "x-csrf-token": anonymous }), 403, "csrf_failed");
    expect(await nameOf(mine.cookie)).toBeNull();
  });

  it("refuses a cross-site Origin even with a valid token, and accepts the server's own", async () => {
    const { cookie } = await browserSession();
    const headers = await withCsrf(t, cookie);
    expectProblem(await rename({ ...headers, origin: "https://evil.example" }), 403, "csrf_failed");
    expectProblem(await rename({ ...headers, origin: "null" }), 403, "csrf_failed");
    expect((await rename({ ...headers, origin: PUBLIC_URL })).statusCode).toBe(200);
  });

  it("refuses Sec-Fetch-Site: cross-site even with a valid token", async () => {
    const { cookie } = await browserSession();
    const headers = await withCsrf(t, cookie);
    expectProblem(await rename({ ...headers, "sec-fetch-site": "cross-site" }), 403, "csrf_failed");
    expect((await rename({ ...headers, "sec-fetch-site": "same-origin" })).statusCode).toBe(200);
  });

  it("guards logout and the device list too", async () => {
    const { cookie } = await browserSession();
    expectProblem(await t.post("/v1/auth/logout", undefined, cookie), 403, "csrf_failed");
    const sessions = await t.get("/v1/sessions", cookie);
    const { id } = sessions.json<{ sessions: { id: string }[] }>().sessions[0] ?? { id: "" };
    expectProblem(
      await t.app.inject({ method: "DELETE", url: `/v1/sessions/${id}`, headers: cookie }),
      403,
      "csrf_failed",
    );
    // Still signed in.
    expect((await t.get("/v1/me", cookie)).statusCode).toBe(200);
  });

  it("needs no token for reads", async () => {
    const { cookie } = await browserSession();
    expect((await t.get("/v1/me", { ...cookie, "sec-fetch-site": "cross-site" })).statusCode).toBe(200);
  });

  it("exempts bearer requests, whatever their Origin", async () => {
    const tokens = await t.signUp();
    const response = await rename({
      ...bearer(tokens.accessToken),
      origin: "https://elsewhere.example",
      "sec-fetch-site": "cross-site",
    });
    expect(response.statusCode, response.body).toBe(200);
  });

  it("exempts POST /v1/auth/refresh with the pc_refresh cookie", async () => {
    const tokens = await t.signUp();
    const response = await t.post("/v1/auth/refresh", undefined, {
      cookie: `pc_refresh=${tokens.refreshToken}`,
    });
    expect(response.statusCode, response.body).toBe(200);
  });
});
