/**
 * Invariant: revoking a session stops it at once, whatever carries it. After logout (204) the
 * session's still-unexpired access token is 401 `invalid_token` and its refresh token is refused,
 * while the user's other sessions go on; logout-all ends every session; a password change ends
 * every session but the one that made it, and from then on only the new password signs in
 * (API.md "Sessions", "Registration and login", "The signed-in user"; ASVS 7.4.1, 7.4.3;
 * security.md §2.2 item 15).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "../support/problem-assertions.js";
import {
  bearer,
  createTestApp,
  STRONG_PASSWORD,
  type TestApp,
  type TokenResponseBody,
  uniqueEmail,
} from "../support/test-app.js";

const NEW_PASSWORD = "marble-Teapot-58-horizon";

describe("logout and revocation", () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  async function login(email: string, password = STRONG_PASSWORD): Promise<TokenResponseBody> {
    const response = await t.post("/v1/auth/login", { email, password });
    expect(response.statusCode, response.body).toBe(200);
    return response.json<TokenResponseBody>();
  }

  /** A fresh user signed in on `count` devices. */
  async function userWithSessions(count: number): Promise<{ email: string; sessions: TokenResponseBody[] }> {
    const email = uniqueEmail();
    const sessions = [await t.signUp(email)];
    while (sessions.length < count) sessions.push(await login(email));
    return { email, sessions };
  }

  async function expectAlive(session: TokenResponseBody): Promise<TokenResponseBody> {
    const me = await t.get("/v1/me", bearer(session.accessToken));
    expect(me.statusCode, me.body).toBe(200);
    const refreshed = await t.post("/v1/auth/refresh", { refreshToken: session.refreshToken });
    expect(refreshed.statusCode, refreshed.body).toBe(200);
    return refreshed.json<TokenResponseBody>();
  }

  async function expectDead(session: TokenResponseBody): Promise<void> {
    expectProblem(await t.get("/v1/me", bearer(session.accessToken)), 401, "invalid_token");
    const refreshed = await t.post("/v1/auth/refresh", { refreshToken: session.refreshToken });
    expect(refreshed.statusCode, refreshed.body).toBe(401);
    expect(["invalid_refresh_token", "refresh_token_reused"]).toContain(
      refreshed.json<{ code: string }>().code,
    );
  }

  describe("logout", () => {
    it("makes the session's unexpired access token fail at once with 401 invalid_token", async () => {
      const { sessions } = await userWithSessions(1);
      const [session] = sessions as [TokenResponseBody];
      expect((await t.get("/v1/me", bearer(session.accessToken))).statusCode).toBe(200);

      const logout = await t.post("/v1/auth/logout", {}, bearer(session.accessToken));
      expect(logout.statusCode, logout.body).toBe(204);
      expectProblem(await t.get("/v1/me", bearer(session.accessToken)), 401, "invalid_token");
    });

    it("makes the session's refresh token fail with 401 invalid_refresh_token", async () => {
      const { sessions } = await userWithSessions(1);
      const [session] = sessions as [TokenResponseBody];
      expect((await t.post("/v1/auth/logout", {}, bearer(session.accessToken))).statusCode).toBe(204);
      expectProblem(
        await t.post("/v1/auth/refresh", { refreshToken: session.refreshToken }),
        401,
        "invalid_refresh_token",
      );
    });

    it("clears the pc_refresh cookie", async () => {
      const { sessions } = await userWithSessions(1);
      const [session] = sessions as [TokenResponseBody];
      const logout = await t.post("/v1/auth/logout", {}, bearer(session.accessToken));
      expect(logout.statusCode).toBe(204);
      const cookie = logout.cookies.find((candidate) => candidate.name === "pc_refresh");
      expect(cookie).toBeDefined();
      expect(cookie?.value).toBe("");
      const expired =
        cookie?.maxAge === 0 || (cookie?.expires !== undefined && cookie.expires.getTime() <= Date.now());
      expect(expired, JSON.stringify(cookie)).toBe(true);
    });

    it("leaves the user's other sessions working", async () => {
      const { sessions } = await userWithSessions(2);
      const [leaving, staying] = sessions as [TokenResponseBody, TokenResponseBody];
      expect((await t.post("/v1/auth/logout", {}, bearer(leaving.accessToken))).statusCode).toBe(204);
      await expectDead(leaving);
      await expectAlive(staying);
    });

    it("answers 204 with no body at all and with an empty JSON object", async () => {
      const { sessions } = await userWithSessions(2);
      const [first, second] = sessions as [TokenResponseBody, TokenResponseBody];
      const bare = await t.post("/v1/auth/logout", undefined, bearer(first.accessToken));
      expect(bare.statusCode, bare.body).toBe(204);
      const empty = await t.post("/v1/auth/logout", {}, bearer(second.accessToken));
      expect(empty.statusCode, empty.body).toBe(204);
      await expectDead(first);
      await expectDead(second);
    });

    it("answers a logout with an already revoked access token with 401 invalid_token", async () => {
      const { sessions } = await userWithSessions(1);
      const [session] = sessions as [TokenResponseBody];
      expect((await t.post("/v1/auth/logout", {}, bearer(session.accessToken))).statusCode).toBe(204);
      expectProblem(await t.post("/v1/auth/logout", {}, bearer(session.accessToken)), 401, "invalid_token");
    });

    it("answers a logout without credentials with 401", async () => {
      const response = await t.post("/v1/auth/logout", {});
      expect(response.statusCode).toBe(401);
    });
  });

  describe("logout-all", () => {
    it("ends every session of the user, and no one else's", async () => {
      const { sessions } = await userWithSessions(3);
      const { sessions: strangers } = await userWithSessions(1);
      const [first] = sessions as [TokenResponseBody];
      const response = await t.post("/v1/auth/logout-all", {}, bearer(first.accessToken));
      expect(response.statusCode, response.body).toBe(204);
      for (const session of sessions) await expectDead(session);
      await expectAlive(strangers[0] as TokenResponseBody);
    });

    it("answers 204 with no body", async () => {
      const { sessions } = await userWithSessions(1);
      const [session] = sessions as [TokenResponseBody];
      const response = await t.post("/v1/auth/logout-all", undefined, bearer(session.accessToken));
      expect(response.statusCode, response.body).toBe(204);
      await expectDead(session);
    });
  });

  describe("password change", () => {
    it("ends every other session at once, keeps the current one, and swaps the password", async () => {
      const { email, sessions } = await userWithSessions(3);
      const [current, ...others] = sessions as [TokenResponseBody, ...TokenResponseBody[]];

      const response = await t.post(
        "/v1/me/password",
        { currentPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD },
        bearer(current.accessToken),
      );
      expect(response.statusCode, response.body).toBe(204);

      for (const session of others) await expectDead(session);
      await expectAlive(current);

      expectProblem(
        await t.post("/v1/auth/login", { email, password: STRONG_PASSWORD }),
        401,
        "invalid_credentials",
      );
      await login(email, NEW_PASSWORD);
    });

    it("refuses a wrong current password with 401 invalid_credentials and changes nothing", async () => {
      const { email, sessions } = await userWithSessions(2);
      const [current, other] = sessions as [TokenResponseBody, TokenResponseBody];
      const response = await t.post(
        "/v1/me/password",
        { currentPassword: "not-the-Current-one-9", newPassword: NEW_PASSWORD },
        bearer(current.accessToken),
      );
      expectProblem(response, 401, "invalid_credentials");
      await expectAlive(other);
      await login(email, STRONG_PASSWORD);
    });

    it("refuses a weak new password with 400 weak_password and changes nothing", async () => {
      const { email, sessions } = await userWithSessions(2);
      const [current, other] = sessions as [TokenResponseBody, TokenResponseBody];
      for (const newPassword of ["short", "password123"]) {
        const response = await t.post(
          "/v1/me/password",
          { currentPassword: STRONG_PASSWORD, newPassword },
          bearer(current.accessToken),
        );
        const problem = expectProblem(response, 400, "weak_password");
        expect(problem.errors?.length).toBeGreaterThan(0);
      }
      await expectAlive(other);
      await login(email, STRONG_PASSWORD);
    });
  });
});
