/**
 * Invariant: a refresh token is spent by using it. POST /v1/auth/refresh answers with a NEW
 * refresh token and a new access token for the same session, sets the new refresh token as the
 * `pc_refresh` cookie (HttpOnly, SameSite=Strict, Path=/v1/auth) and accepts it from that cookie
 * alone; an unknown token, or a token whose session has reached its end, is 401
 * `invalid_refresh_token` (API.md "Registration and login", "Token response"; RFC 9700 §4.14.2).
 */
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "../support/problem-assertions.js";
import {
  bearer,
  createManualClock,
  createTestApp,
  type TestApp,
  type TokenResponseBody,
} from "../support/test-app.js";

const refreshWithCookie = (t: TestApp, refreshToken: string) =>
  t.app.inject({
    method: "POST",
    url: "/v1/auth/refresh",
    headers: { cookie: `pc_refresh=${refreshToken}` },
  });

describe("refresh-token rotation", () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it("answers a refresh with a new refresh token and a new access token for the same session", async () => {
    const login = await t.signUp();
    const response = await t.post("/v1/auth/refresh", { refreshToken: login.refreshToken });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json<TokenResponseBody>();

    expect(body.tokenType).toBe("Bearer");
    expect(body.refreshToken).toEqual(expect.any(String));
    expect(body.refreshToken).not.toBe(login.refreshToken);
    expect(body.accessToken).not.toBe(login.accessToken);
    expect(body.expiresIn).toBeGreaterThan(0);
    expect(body.refreshExpiresIn).toBeGreaterThan(0);
    expect(body.user.id).toBe(login.user.id);
    expect(decodeJwt(body.accessToken).sid).toBe(decodeJwt(login.accessToken).sid);
    expect((await t.get("/v1/me", bearer(body.accessToken))).statusCode).toBe(200);
  });

  it("sets the new refresh token as the pc_refresh cookie, HttpOnly, SameSite=Strict, Path=/v1/auth", async () => {
    const login = await t.signUp();
    const response = await t.post("/v1/auth/refresh", { refreshToken: login.refreshToken });
    expect(response.statusCode, response.body).toBe(200);
    const cookie = response.cookies.find((candidate) => candidate.name === "pc_refresh");
    expect(cookie).toBeDefined();
    expect(cookie?.value).toBe(response.json<TokenResponseBody>().refreshToken);
    expect(cookie?.httpOnly).toBe(true);
    expect(String(cookie?.sameSite).toLowerCase()).toBe("strict");
    expect(cookie?.path).toBe("/v1/auth");
    expect(response.headers["cache-control"]).toMatch(/no-store/);
  });

  it("accepts the refresh token from the pc_refresh cookie alone, with no body", async () => {
    const login = await t.signUp();
    const first = await refreshWithCookie(t, login.refreshToken);
    expect(first.statusCode, first.body).toBe(200);
    const next = first.json<TokenResponseBody>().refreshToken;
    expect(next).not.toBe(login.refreshToken);

    // The cookie the server set is what a browser sends back next time.
    const second = await refreshWithCookie(t, next);
    expect(second.statusCode, second.body).toBe(200);
  });

  it("accepts the pc_refresh cookie with an empty JSON body", async () => {
    const login = await t.signUp();
    const response = await t.post("/v1/auth/refresh", {}, { cookie: `pc_refresh=${login.refreshToken}` });
    expect(response.statusCode, response.body).toBe(200);
  });

  it("keeps rotating: each successor works once, in a chain", async () => {
    let current = (await t.signUp()).refreshToken;
    const seen = new Set([current]);
    for (let i = 0; i < 3; i++) {
      const response = await t.post("/v1/auth/refresh", { refreshToken: current });
      expect(response.statusCode, response.body).toBe(200);
      current = response.json<TokenResponseBody>().refreshToken;
      expect(seen.has(current)).toBe(false);
      seen.add(current);
    }
  });

  it("answers an unknown refresh token with 401 invalid_refresh_token", async () => {
    const response = await t.post("/v1/auth/refresh", {
      refreshToken: "bm90LWEtcmVhbC1yZWZyZXNoLXRva2VuLWF0LWFsbC0wMDA",
    });
    expectProblem(response, 401, "invalid_refresh_token");
  });

  it("answers an access token presented as a refresh token with 401 invalid_refresh_token", async () => {
    const login = await t.signUp();
    const response = await t.post("/v1/auth/refresh", { refreshToken: login.accessToken });
    expectProblem(response, 401, "invalid_refresh_token");
  });

  it("answers a refresh with neither body token nor cookie with 401 invalid_refresh_token", async () => {
    expectProblem(await t.post("/v1/auth/refresh", {}), 401, "invalid_refresh_token");
    expectProblem(await t.post("/v1/auth/refresh"), 401, "invalid_refresh_token");
  });
});

describe("refresh-token expiry", () => {
  const clock = createManualClock(Date.now());
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ clock });
  });
  afterAll(() => t.close());

  it("refreshes until the session's end, and answers 401 invalid_refresh_token after it", async () => {
    const login = await t.signUp();
    const sessionEnd = clock.now() + login.refreshExpiresIn * 1000;

    clock.set(sessionEnd - 60_000);
    const late = await t.post("/v1/auth/refresh", { refreshToken: login.refreshToken });
    expect(late.statusCode, late.body).toBe(200);
    const successor = late.json<TokenResponseBody>();
    // Rotation does not stretch the session: the successor ends when the session does.
    expect(successor.refreshExpiresIn).toBeLessThanOrEqual(60);

    clock.set(sessionEnd + 1000);
    expectProblem(
      await t.post("/v1/auth/refresh", { refreshToken: successor.refreshToken }),
      401,
      "invalid_refresh_token",
    );
  });

  it("answers a token that was never used with 401 invalid_refresh_token once the session has ended", async () => {
    const login = await t.signUp();
    clock.advance(login.refreshExpiresIn * 1000 + 1000);
    expectProblem(
      await t.post("/v1/auth/refresh", { refreshToken: login.refreshToken }),
      401,
      "invalid_refresh_token",
    );
  });
});
