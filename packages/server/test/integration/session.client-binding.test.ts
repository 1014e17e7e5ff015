/**
 * Invariant: with PORTCULLIS_SESSION_BINDING set, a session cookie or refresh token presented
 * from a browser of another family or from another network prefix is refused (401) while the
 * client that signed in — even after a browser update or a new address in its /24 — carries on;
 * with the default (`off`) neither matters (issue 4: optional client binding).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setCookie } from "../support/cookies.js";
import { expectProblem } from "../support/problem-assertions.js";
import { createTestApp, STRONG_PASSWORD, type TestApp, uniqueEmail } from "../support/test-app.js";

const FIREFOX_128 = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const FIREFOX_140 = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";
const CHROME =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0 Safari/537.36";
const HOME = "203.0.113.7";

function clientOf(t: TestApp) {
  const request = (
    method: "GET" | "POST",
    url: string,
    client: { ip: string; userAgent: string },
    headers: Record<string, string> = {},
    body?: unknown,
  ) =>
    t.app.inject({
      method,
      url,
      remoteAddress: client.ip,
      headers: {
        "user-agent": client.userAgent,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
  return {
    async signIn(transport: "cookie" | "token") {
      const email = uniqueEmail();
      const home = { ip: HOME, userAgent: FIREFOX_128 };
      await request("POST", "/v1/auth/register", home, {}, { email, password: STRONG_PASSWORD });
      const login = await request(
        "POST",
        "/v1/auth/login",
        home,
        {},
        { email, password: STRONG_PASSWORD, transport },
      );
      expect(login.statusCode, login.body).toBe(200);
      return transport === "cookie"
        ? `pc_session=${setCookie(login, "pc_session").value}`
        : login.json<{ refreshToken: string }>().refreshToken;
    },
    me: (cookie: string, client: { ip: string; userAgent: string }) =>
      request("GET", "/v1/me", client, { cookie }),
    refresh: (refreshToken: string, client: { ip: string; userAgent: string }) =>
      request("POST", "/v1/auth/refresh", client, {}, { refreshToken }),
  };
}

describe("client binding (PORTCULLIS_SESSION_BINDING=both)", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { PORTCULLIS_SESSION_BINDING: "both" } });
  });
  afterAll(() => t.close());

  it("keeps a cookie session working for its client, after an update and within its /24", async () => {
    const c = clientOf(t);
    const cookie = await c.signIn("cookie");
    expect((await c.me(cookie, { ip: HOME, userAgent: FIREFOX_128 })).statusCode).toBe(200);
    expect((await c.me(cookie, { ip: "203.0.113.99", userAgent: FIREFOX_140 })).statusCode).toBe(200);
  });

  it("refuses the cookie from another browser family or another network", async () => {
    const c = clientOf(t);
    const cookie = await c.signIn("cookie");
    expectProblem(await c.me(cookie, { ip: HOME, userAgent: CHROME }), 401, "invalid_token");
    expectProblem(await c.me(cookie, { ip: "198.51.100.7", userAgent: FIREFOX_128 }), 401, "invalid_token");
    // Refused, not revoked: the real client carries on.
    expect((await c.me(cookie, { ip: HOME, userAgent: FIREFOX_128 })).statusCode).toBe(200);
  });

  it("refuses a refresh token from another client", async () => {
    const c = clientOf(t);
    const refreshToken = await c.signIn("token");
    expectProblem(
      await c.refresh(refreshToken, { ip: "198.51.100.7", userAgent: FIREFOX_128 }),
      401,
      "invalid_refresh_token",
    );
    expect((await c.refresh(refreshToken, { ip: HOME, userAgent: FIREFOX_140 })).statusCode).toBe(200);
  });
});

describe("client binding off (the default)", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it("lets a cookie and a refresh token travel between clients", async () => {
    const c = clientOf(t);
    const cookie = await c.signIn("cookie");
    expect((await c.me(cookie, { ip: "198.51.100.7", userAgent: CHROME })).statusCode).toBe(200);
    const refreshToken = await c.signIn("token");
    expect((await c.refresh(refreshToken, { ip: "198.51.100.7", userAgent: CHROME })).statusCode).toBe(200);
  });
});
