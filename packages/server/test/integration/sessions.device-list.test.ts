/**
 * Invariant: `GET /v1/sessions` lists exactly the caller's live sessions of both transports —
 * never revoked or expired ones, never another user's — with the contract's fields and
 * `current` on the one making the request; `DELETE /v1/sessions/:id` signs that device out at
 * once (a token session's unexpired access token and refresh token, a cookie session's cookie),
 * and another user's session id answers 404 `not_found` exactly like an unknown one
 * (API.md "The signed-in user", "Sessions"; ASVS 7.5.2).
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

interface SessionView {
  id: string;
  current: boolean;
  transport: "token" | "cookie";
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
  amr: string[];
}

describe("the device list", () => {
  const clock = createManualClock(Date.now());
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ clock });
  });
  afterAll(() => t.close());

  async function cookieLogin(email: string, userAgent = "Firefox/140") {
    const response = await t.post(
      "/v1/auth/login",
      { email, password: STRONG_PASSWORD, transport: "cookie" },
      { "user-agent": userAgent },
    );
    expect(response.statusCode, response.body).toBe(200);
    return {
      cookie: { cookie: `pc_session=${setCookie(response, "pc_session").value}` },
      id: response.json<{ session: { id: string } }>().session.id,
    };
  }

  async function tokenLogin(email: string): Promise<TokenResponseBody> {
    const response = await t.post("/v1/auth/login", { email, password: STRONG_PASSWORD });
    expect(response.statusCode, response.body).toBe(200);
    return response.json<TokenResponseBody>();
  }

  const sidOf = (accessToken: string) =>
    (JSON.parse(Buffer.from(accessToken.split(".")[1] ?? "", "base64url").toString()) as { sid: string }).sid;

  async function list(headers: Record<string, string>): Promise<SessionView[]> {
    const response = await t.get("/v1/sessions", headers);
    expect(response.statusCode, response.body).toBe(200);
    return response.json<{ sessions: SessionView[] }>().sessions;
  }

  it("lists both transports with the contract's fields and marks the current one", async () => {
    const email = uniqueEmail();
    const tokens = await t.signUp(email);
    const browser = await cookieLogin(email);
    const sessions = await list(bearer(tokens.accessToken));
    expect(sessions.map((s) => s.id).sort()).toEqual([sidOf(tokens.accessToken), browser.id].sort());
    for (const session of sessions) {
      expect(Object.keys(session).sort()).toEqual(
        [
          "amr",
          "createdAt",
          "current",
          "expiresAt",
          "id",
          "ip",
          "lastSeenAt",
          "transport",
          "userAgent",
        ].sort(),
      );
      expect(session.amr).toEqual(["pwd"]);
      expect(typeof session.ip).toBe("string");
      expect(new Date(session.expiresAt).getTime()).toBeGreaterThan(clock.now());
    }
    const byId = new Map(sessions.map((s) => [s.id, s]));
    expect(byId.get(sidOf(tokens.accessToken))).toMatchObject({ transport: "token", current: true });
    expect(byId.get(browser.id)).toMatchObject({
      transport: "cookie",
      current: false,
      userAgent: "Firefox/140",
    });
    // Seen from the browser, the cookie session is the current one.
    const fromBrowser = await list(browser.cookie);
    expect(fromBrowser.find((s) => s.current)?.id).toBe(browser.id);
  });

  it("shows live sessions only: not revoked, not expired", async () => {
    const email = uniqueEmail();
    const tokens = await t.signUp(email);
    const loggedOut = await tokenLogin(email);
    expect((await t.post("/v1/auth/logout", undefined, bearer(loggedOut.accessToken))).statusCode).toBe(204);
    const idle = await cookieLogin(email);
    clock.advance(31 * 60_000);
    // The access token may have expired meanwhile; refresh to look again.
    const refreshed = await t.post("/v1/auth/refresh", { refreshToken: tokens.refreshToken });
    const { accessToken } = refreshed.json<TokenResponseBody>();
    const ids = (await list(bearer(accessToken))).map((s) => s.id);
    expect(ids).toEqual([sidOf(accessToken)]);
    expect(ids).not.toContain(idle.id);
    expect(ids).not.toContain(sidOf(loggedOut.accessToken));
  });

  it("never shows another user's sessions", async () => {
    const mine = await t.signUp();
    const theirs = await t.signUp();
    const ids = (await list(bearer(mine.accessToken))).map((s) => s.id);
    expect(ids).not.toContain(sidOf(theirs.accessToken));
  });

  it("revoking a token session from a cookie session kills its access and refresh tokens at once", async () => {
    const email = uniqueEmail();
    const phone = await t.signUp(email);
    const browser = await cookieLogin(email);
    const revoke = await t.app.inject({
      method: "DELETE",
      url: `/v1/sessions/${sidOf(phone.accessToken)}`,
      headers: await withCsrf(t, browser.cookie),
    });
    expect(revoke.statusCode, revoke.body).toBe(204);
    expectProblem(await t.get("/v1/me", bearer(phone.accessToken)), 401, "invalid_token");
    const refreshed = await t.post("/v1/auth/refresh", { refreshToken: phone.refreshToken });
    expect(refreshed.statusCode).toBe(401);
    expect((await t.get("/v1/me", browser.cookie)).statusCode).toBe(200);
  });

  it("revoking a cookie session from a token session kills the cookie at once", async () => {
    const email = uniqueEmail();
    const phone = await t.signUp(email);
    const browser = await cookieLogin(email);
    const revoke = await t.app.inject({
      method: "DELETE",
      url: `/v1/sessions/${browser.id}`,
      headers: bearer(phone.accessToken),
    });
    expect(revoke.statusCode, revoke.body).toBe(204);
    expectProblem(await t.get("/v1/me", browser.cookie), 401, "invalid_token");
    expect((await t.get("/v1/me", bearer(phone.accessToken))).statusCode).toBe(200);
  });

  it("answers 404 not_found for another user's session, an unknown id and a revoked one", async () => {
    const mine = await t.signUp();
    const theirs = await t.signUp();
    const del = (id: string) =>
      t.app.inject({ method: "DELETE", url: `/v1/sessions/${id}`, headers: bearer(mine.accessToken) });
    expectProblem(await del(sidOf(theirs.accessToken)), 404, "not_found");
    expect((await t.get("/v1/me", bearer(theirs.accessToken))).statusCode).toBe(200);
    expectProblem(await del("no-such-session"), 404, "not_found");
    const other = await tokenLogin(mine.user.email);
    expect((await del(sidOf(other.accessToken))).statusCode).toBe(204);
    expectProblem(await del(sidOf(other.accessToken)), 404, "not_found");
  });

  it("needs authentication", async () => {
    expectProblem(await t.get("/v1/sessions"), 401, "unauthenticated");
  });
});
