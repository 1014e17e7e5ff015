/**
 * Invariant: the refresh grace window is off by default, and then of concurrent refreshes with
 * one token exactly one succeeds and the rest are reuse, which revokes the session. With
 * PORTCULLIS_REFRESH_GRACE on, every refresh with one token within the window of its rotation gets
 * the same successor refresh token (each with a working access token) and the session lives; a
 * rotated token presented after the window, or after its successor has itself been rotated, is
 * reuse as always (API.md "Registration and login": "an optional grace window, off by default,
 * may instead hand every one of them the same successor"; RFC 9700 §4.14.2).
 */
import { afterEach, describe, expect, it } from "vitest";
import { expectProblem } from "../support/problem-assertions.js";
import {
  bearer,
  createManualClock,
  createTestApp,
  type TestApp,
  type TokenResponseBody,
} from "../support/test-app.js";

const CONCURRENT = 10;

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const refresh = (app: TestApp, refreshToken: string) => app.post("/v1/auth/refresh", { refreshToken });

async function refreshAllAtOnce(app: TestApp, refreshToken: string, times = CONCURRENT) {
  return Promise.all(Array.from({ length: times }, () => refresh(app, refreshToken)));
}

describe("refresh grace window › off (the default)", () => {
  it("answers the second of two concurrent refreshes as reuse and revokes the session", async () => {
    t = await createTestApp();
    expect(t.config.refreshGraceMs).toBe(0);
    const login = await t.signUp();

    const responses = await refreshAllAtOnce(t, login.refreshToken, 2);

    const winners = responses.filter((response) => response.statusCode === 200);
    expect(winners, responses.map((response) => response.body).join("\n")).toHaveLength(1);
    const loser = responses.find((response) => response.statusCode !== 200);
    if (loser === undefined) throw new Error("both refreshes succeeded");
    expectProblem(loser, 401, "refresh_token_reused");
    const successor = winners[0]?.json<TokenResponseBody>();
    expect((await refresh(t, successor?.refreshToken ?? "")).statusCode).toBe(401);
    expectProblem(await t.get("/v1/me", bearer(login.accessToken)), 401, "invalid_token");
  });
});

describe("refresh grace window › on (PORTCULLIS_REFRESH_GRACE=2s)", () => {
  it(`hands ${CONCURRENT} concurrent refreshes the same successor, and the session lives`, async () => {
    t = await createTestApp({ env: { PORTCULLIS_REFRESH_GRACE: "2s" } });
    const app = t;
    const login = await app.signUp();

    const responses = await refreshAllAtOnce(app, login.refreshToken);

    for (const response of responses) expect(response.statusCode, response.body).toBe(200);
    const grants = responses.map((response) => response.json<TokenResponseBody>());
    const successors = new Set(grants.map((grant) => grant.refreshToken));
    expect(successors.size).toBe(1);
    expect(successors.has(login.refreshToken)).toBe(false);
    for (const grant of grants) {
      expect(grant.refreshExpiresIn).toBeGreaterThan(0);
      expect((await app.get("/v1/me", bearer(grant.accessToken))).statusCode).toBe(200);
    }
    // Nothing was taken for reuse: no revocation, no audit event, and the successor rotates.
    const reused = await app.database.db
      .selectFrom("audit_events")
      .select("id")
      .where("type", "=", "refresh_token.reused")
      .where("user_id", "=", login.user.id)
      .execute();
    expect(reused).toEqual([]);
    const next = await refresh(app, grants[0]?.refreshToken ?? "");
    expect(next.statusCode, next.body).toBe(200);
    expect((await app.get("/v1/me", bearer(next.json<TokenResponseBody>().accessToken))).statusCode).toBe(
      200,
    );
  });

  it("keeps only hashes of refresh tokens in SQL, the shared successor included", async () => {
    t = await createTestApp({ env: { PORTCULLIS_REFRESH_GRACE: "2s" } });
    const login = await t.signUp();
    const [first] = await refreshAllAtOnce(t, login.refreshToken, 3);
    const successor = first?.json<TokenResponseBody>().refreshToken ?? "";

    const rows = await t.database.db.selectFrom("refresh_tokens").selectAll().execute();

    expect(JSON.stringify(rows)).not.toContain(successor);
    expect(JSON.stringify(rows)).not.toContain(login.refreshToken);
  });

  it("treats a rotated token presented after the window as reuse: the session is revoked", async () => {
    const clock = createManualClock(Date.now());
    t = await createTestApp({ clock, env: { PORTCULLIS_REFRESH_GRACE: "2s" } });
    const login = await t.signUp();
    const rotated = await refresh(t, login.refreshToken);
    expect(rotated.statusCode).toBe(200);
    const successor = rotated.json<TokenResponseBody>();

    clock.advance(1_500);
    const inside = await refresh(t, login.refreshToken);
    expect(inside.statusCode, inside.body).toBe(200);
    expect(inside.json<TokenResponseBody>().refreshToken).toBe(successor.refreshToken);

    clock.advance(501);
    expectProblem(await refresh(t, login.refreshToken), 401, "refresh_token_reused");
    expect((await refresh(t, successor.refreshToken)).statusCode).toBe(401);
    expectProblem(await t.get("/v1/me", bearer(successor.accessToken)), 401, "invalid_token");
  });

  it("treats the rotated token as reuse once its successor has been rotated, even inside the window", async () => {
    t = await createTestApp({ env: { PORTCULLIS_REFRESH_GRACE: "2s" } });
    const login = await t.signUp();
    const successor = (await refresh(t, login.refreshToken)).json<TokenResponseBody>();
    const third = await refresh(t, successor.refreshToken);
    expect(third.statusCode).toBe(200);

    expectProblem(await refresh(t, login.refreshToken), 401, "refresh_token_reused");
    expectProblem(
      await t.get("/v1/me", bearer(third.json<TokenResponseBody>().accessToken)),
      401,
      "invalid_token",
    );
  });

  it("hands nothing out for a session revoked inside the window", async () => {
    t = await createTestApp({ env: { PORTCULLIS_REFRESH_GRACE: "2s" } });
    const login = await t.signUp();
    const successor = (await refresh(t, login.refreshToken)).json<TokenResponseBody>();
    expect((await t.post("/v1/auth/logout", {}, bearer(successor.accessToken))).statusCode).toBe(204);

    const response = await refresh(t, login.refreshToken);

    expect(response.statusCode).toBe(401);
    expect(response.body).not.toContain(successor.refreshToken);
  });
});
