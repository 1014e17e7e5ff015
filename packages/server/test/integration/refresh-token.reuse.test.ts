/**
 * Invariant: a refresh token that was already rotated is evidence of theft or replay. Presenting
 * it again answers 401 `refresh_token_reused`, revokes the whole session at once — the successor
 * refresh token and every unexpired access token of the session stop working — and records a
 * `refresh_token.reused` audit event. Of concurrent refreshes with one token exactly one succeeds
 * (API.md "Registration and login"; RFC 9700 §4.14.2; security.md §2.3).
 */
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "../support/problem-assertions.js";
import {
  bearer,
  createTestApp,
  STRONG_PASSWORD,
  type TestApp,
  type TokenResponseBody,
} from "../support/test-app.js";

const REFRESH_FAILURES = ["refresh_token_reused", "invalid_refresh_token"];

describe("refresh-token reuse", () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  async function refresh(refreshToken: string) {
    return t.post("/v1/auth/refresh", { refreshToken });
  }

  async function rotateOnce(login: TokenResponseBody): Promise<TokenResponseBody> {
    const response = await refresh(login.refreshToken);
    expect(response.statusCode, response.body).toBe(200);
    return response.json<TokenResponseBody>();
  }

  it("answers a rotated refresh token with 401 refresh_token_reused", async () => {
    const login = await t.signUp();
    await rotateOnce(login);
    expectProblem(await refresh(login.refreshToken), 401, "refresh_token_reused");
  });

  it("revokes the successor refresh token when a rotated one comes back", async () => {
    const login = await t.signUp();
    const successor = await rotateOnce(login);
    expectProblem(await refresh(login.refreshToken), 401, "refresh_token_reused");

    const response = await refresh(successor.refreshToken);
    expect(response.statusCode, response.body).toBe(401);
    expect(REFRESH_FAILURES).toContain(response.json<{ code: string }>().code);
  });

  it("stops every unexpired access token of the session at once", async () => {
    const login = await t.signUp();
    const successor = await rotateOnce(login);
    // Both access tokens work before the replay.
    expect((await t.get("/v1/me", bearer(login.accessToken))).statusCode).toBe(200);
    expect((await t.get("/v1/me", bearer(successor.accessToken))).statusCode).toBe(200);

    expectProblem(await refresh(login.refreshToken), 401, "refresh_token_reused");

    expectProblem(await t.get("/v1/me", bearer(login.accessToken)), 401, "invalid_token");
    expectProblem(await t.get("/v1/me", bearer(successor.accessToken)), 401, "invalid_token");
  });

  it("leaves the user's other sessions working", async () => {
    const login = await t.signUp();
    const other = await t.post("/v1/auth/login", { email: login.user.email, password: STRONG_PASSWORD });
    expect(other.statusCode, other.body).toBe(200);
    const otherSession = other.json<TokenResponseBody>();

    await rotateOnce(login);
    expectProblem(await refresh(login.refreshToken), 401, "refresh_token_reused");

    expect((await t.get("/v1/me", bearer(otherSession.accessToken))).statusCode).toBe(200);
    expect((await refresh(otherSession.refreshToken)).statusCode).toBe(200);
  });

  it("records the reuse as a refresh_token.reused audit event naming the session", async () => {
    const login = await t.signUp();
    await rotateOnce(login);
    const before = await t.database.db
      .selectFrom("audit_events")
      .select("id")
      .where("type", "=", "refresh_token.reused")
      .where("user_id", "=", login.user.id)
      .execute();
    expect(before).toHaveLength(0);

    await refresh(login.refreshToken);

    const events = await t.database.db
      .selectFrom("audit_events")
      .selectAll()
      .where("type", "=", "refresh_token.reused")
      .where("user_id", "=", login.user.id)
      .execute();
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]?.details ?? "{}")).toMatchObject({
      sessionId: decodeJwt(login.accessToken).sid,
    });
  });

  it("lets exactly one of five concurrent refreshes with one token succeed", async () => {
    const login = await t.signUp();
    const responses = await Promise.all(Array.from({ length: 5 }, () => refresh(login.refreshToken)));
    const statuses = responses.map((response) => response.statusCode);
    expect(
      statuses.filter((status) => status === 200),
      JSON.stringify(statuses),
    ).toHaveLength(1);
    for (const response of responses.filter((candidate) => candidate.statusCode !== 200)) {
      expect(response.statusCode).toBe(401);
      expect(REFRESH_FAILURES).toContain(response.json<{ code: string }>().code);
    }
  });
});
