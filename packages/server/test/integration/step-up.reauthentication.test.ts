/**
 * Invariant: sensitive acts — creating an API key, changing the password — need an
 * authentication no older than the step-up window (PORTCULLIS_REAUTH_WINDOW, from `auth_time`):
 * fresh from a login they work; once the window has passed they answer `401
 * reauthentication_required` and change nothing; `POST /v1/auth/reauthenticate {password}`
 * renews the authentication — for a token session with new tokens whose `auth_time` is now, for a
 * cookie session with a new cookie value (the old one dies) — after which they work again
 * (issue 4; ASVS 7.5.1; OpenID Connect Core `auth_time`).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setCookie, withCsrf } from "../support/cookies.js";
import { expectProblem } from "../support/problem-assertions.js";
import {
  bearer,
  createManualClock,
  createTestApp,
  STRONG_PASSWORD,
  type TestApp,
  type TokenResponseBody,
  uniqueEmail,
} from "../support/test-app.js";

const MINUTE = 60_000;
const NEW_PASSWORD = "marble-Teapot-58-horizon";

const claimsOf = (accessToken: string) =>
  JSON.parse(Buffer.from(accessToken.split(".")[1] ?? "", "base64url").toString()) as {
    auth_time: number;
    sid: string;
  };

describe("step-up re-authentication", () => {
  const clock = createManualClock(Date.now());
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ clock, env: { PORTCULLIS_REAUTH_WINDOW: "10m" } });
  });
  afterAll(() => t.close());

  const createKey = (headers: Record<string, string>) => t.post("/v1/api-keys", { name: "ci" }, headers);
  const changePassword = (headers: Record<string, string>, currentPassword = STRONG_PASSWORD) =>
    t.post("/v1/me/password", { currentPassword, newPassword: NEW_PASSWORD }, headers);

  it("lets a fresh login create an API key and change the password", async () => {
    const tokens = await t.signUp();
    expect((await createKey(bearer(tokens.accessToken))).statusCode).toBe(201);
    const changed = await changePassword(bearer(tokens.accessToken));
    expect(changed.statusCode, changed.body).toBe(204);
  });

  it("still allows them at the edge of the window", async () => {
    const tokens = await t.signUp();
    clock.advance(10 * MINUTE);
    expect((await createKey(bearer(tokens.accessToken))).statusCode).toBe(201);
  });

  it("refuses them after the window with 401 reauthentication_required, changing nothing", async () => {
    const email = uniqueEmail();
    const tokens = await t.signUp(email);
    clock.advance(11 * MINUTE);
    // The access token itself is still valid (15 minutes); only the authentication is stale.
    expect((await t.get("/v1/me", bearer(tokens.accessToken))).statusCode).toBe(200);
    expectProblem(await createKey(bearer(tokens.accessToken)), 401, "reauthentication_required");
    expectProblem(await changePassword(bearer(tokens.accessToken)), 401, "reauthentication_required");
    const keys = await t.get("/v1/api-keys", bearer(tokens.accessToken));
    expect(keys.json<{ apiKeys: unknown[] }>().apiKeys).toEqual([]);
    const oldPassword = await t.post("/v1/auth/login", { email, password: STRONG_PASSWORD });
    expect(oldPassword.statusCode).toBe(200);
  });

  it("a token session re-authenticates with its password and gets tokens whose auth_time is now", async () => {
    const tokens = await t.signUp();
    clock.advance(11 * MINUTE);
    expectProblem(
      await t.post("/v1/auth/reauthenticate", { password: "wrong-password-123" }, bearer(tokens.accessToken)),
      401,
      "invalid_credentials",
    );
    const renewed = await t.post(
      "/v1/auth/reauthenticate",
      { password: STRONG_PASSWORD },
      bearer(tokens.accessToken),
    );
    expect(renewed.statusCode, renewed.body).toBe(200);
    const body = renewed.json<TokenResponseBody>();
    expect(claimsOf(body.accessToken).auth_time).toBe(Math.floor(clock.now() / 1000));
    expect(claimsOf(body.accessToken).sid).toBe(claimsOf(tokens.accessToken).sid);
    expect(body.refreshToken).not.toBe(tokens.refreshToken);
    expect(renewed.headers["cache-control"]).toBe("no-store");
    // The old access token still names the old auth_time; the new one passes the step-up.
    expectProblem(await createKey(bearer(tokens.accessToken)), 401, "reauthentication_required");
    expect((await createKey(bearer(body.accessToken))).statusCode).toBe(201);
    expect((await changePassword(bearer(body.accessToken))).statusCode).toBe(204);
    // Refreshing keeps the renewed auth_time.
    const refreshed = await t.post("/v1/auth/refresh", { refreshToken: body.refreshToken });
    expect(refreshed.statusCode, refreshed.body).toBe(200);
    expect(claimsOf(refreshed.json<TokenResponseBody>().accessToken).auth_time).toBe(
      claimsOf(body.accessToken).auth_time,
    );
  });

  it("a cookie session re-authenticates and gets a new cookie; the old one dies", async () => {
    const email = uniqueEmail();
    await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD });
    const login = await t.post("/v1/auth/login", { email, password: STRONG_PASSWORD, transport: "cookie" });
    const oldCookie = { cookie: `pc_session=${setCookie(login, "pc_session").value}` };
    const headers = await withCsrf(t, oldCookie);
    expect((await createKey(headers)).statusCode).toBe(201);
    clock.advance(11 * MINUTE);
    expectProblem(await createKey(headers), 401, "reauthentication_required");
    // Re-authentication is itself a state change: it needs the CSRF token.
    expectProblem(
      await t.post("/v1/auth/reauthenticate", { password: STRONG_PASSWORD }, oldCookie),
      403,
      "csrf_failed",
    );
    const renewed = await t.post("/v1/auth/reauthenticate", { password: STRONG_PASSWORD }, headers);
    expect(renewed.statusCode, renewed.body).toBe(200);
    const newValue = setCookie(renewed, "pc_session").value;
    expect(`pc_session=${newValue}`).not.toBe(oldCookie.cookie);
    expectProblem(await t.get("/v1/me", oldCookie), 401, "invalid_token");
    // Same session, so the CSRF token still fits.
    const fresh = { cookie: `pc_session=${newValue}`, "x-csrf-token": headers["x-csrf-token"] };
    expect((await createKey(fresh)).statusCode).toBe(201);
  });

  it("needs a session", async () => {
    expectProblem(
      await t.post("/v1/auth/reauthenticate", { password: STRONG_PASSWORD }),
      401,
      "unauthenticated",
    );
  });
});
