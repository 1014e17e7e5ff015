/**
 * Invariant: `DELETE /v1/me` deletes the caller's account and everything it owns exactly as an
 * administrator's delete does — only after a recent authentication (step-up, `401
 * reauthentication_required` otherwise), and with the CSRF token when the cookie carries it.
 * From the `204` on, every access token, refresh token, cookie and API key of the account is
 * refused (also by an instance started afterwards, through the `user.deleted` event, whose actor
 * is the user), nobody signs in with it, the cookies are cleared, and its address is mailed a
 * notice. The last enabled administrator cannot delete themselves (`409 last_admin`), so the admin
 * API never ends up without anyone to run it (issue 4; ASVS 7.4.2, 7.5.1, 6.3.7).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  apiKeyHeader,
  createAdmin,
  createApiKey,
  createSignedInUser,
  loginAs,
  type SignedIn,
  send,
} from "../support/accounts.js";
import { setCookie, withCsrf } from "../support/cookies.js";
import { latestMailTo } from "../support/mail-outbox-folder.js";
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
const deleteMe = (t: TestApp, headers: Record<string, string>) => send(t, "DELETE", "/v1/me", headers);

describe("account deletion", () => {
  let t: TestApp;
  let admin: SignedIn;
  beforeAll(async () => {
    t = await createTestApp();
    admin = await createAdmin(t);
  });
  afterAll(() => t.close());

  const count = async (table: "sessions" | "api_keys" | "recovery_tokens", userId: string) =>
    (await t.database.db.selectFrom(table).select("user_id").where("user_id", "=", userId).execute()).length;

  it("answers 204 and refuses the account's access tokens, refresh tokens and API keys at once; login fails", async () => {
    const user = await createSignedInUser(t);
    const other = await loginAs(t, user.email);
    const { key } = await createApiKey(t, user);

    const response = await deleteMe(t, user.headers);

    expect(response.statusCode, response.body).toBe(204);
    expect(response.body).toBe("");
    for (const session of [user, other]) {
      expectProblem(await send(t, "GET", "/v1/me", session.headers), 401, "invalid_token");
      expectProblem(
        await t.post("/v1/auth/refresh", { refreshToken: session.refreshToken }),
        401,
        "invalid_refresh_token",
      );
    }
    expectProblem(await send(t, "GET", "/v1/me", apiKeyHeader(key)), 401, "invalid_api_key");
    expectProblem(
      await t.post("/v1/auth/login", { email: user.email, password: STRONG_PASSWORD }),
      401,
      "invalid_credentials",
    );
    for (const table of ["sessions", "api_keys", "recovery_tokens"] as const) {
      expect(await count(table, user.user.id), table).toBe(0);
    }
    expectProblem(await send(t, "GET", `/v1/admin/users/${user.user.id}`, admin.headers), 404, "not_found");
  });

  it("records user.deleted with the user as the actor, and mails the address a notice", async () => {
    const user = await createSignedInUser(t);

    expect((await deleteMe(t, { ...user.headers, "user-agent": "DeletingBrowser/1.0" })).statusCode).toBe(
      204,
    );

    const events = await send(
      t,
      "GET",
      `/v1/admin/events?userId=${user.user.id}&type=user.deleted`,
      admin.headers,
    );
    expect(events.json()).toMatchObject({
      events: [
        {
          type: "user.deleted",
          userId: user.user.id,
          actorId: user.user.id,
          details: { sessionsRevoked: 1 },
        },
      ],
    });
    const notice = await latestMailTo(t, user.email, /^Your Portcullis account was deleted/);
    expect(notice.text).toContain("DeletingBrowser/1.0");
    expect(notice.text).not.toContain("token=");
  });

  it("keeps refusing the deleted account's access token on an instance started afterwards", async () => {
    const user = await createSignedInUser(t);
    expect((await deleteMe(t, user.headers)).statusCode).toBe(204);

    const restarted = await createTestApp({
      env: { DATABASE_URL: t.config.databaseUrl, PORTCULLIS_DATA_DIR: t.dir },
    });
    try {
      expectProblem(await send(restarted, "GET", "/v1/me", user.headers), 401, "invalid_token");
    } finally {
      await restarted.app.close();
      await restarted.database.close();
    }
  });

  it("frees the address: a new account may register with it", async () => {
    const user = await createSignedInUser(t);
    expect((await deleteMe(t, user.headers)).statusCode).toBe(204);

    const registered = await t.post("/v1/auth/register", { email: user.email, password: STRONG_PASSWORD });
    expect(registered.statusCode, registered.body).toBe(201);
  });

  it("needs a signed-in session: 401 without credentials or with an API key", async () => {
    const user = await createSignedInUser(t);
    const { key } = await createApiKey(t, user);
    expectProblem(await deleteMe(t, {}), 401, "unauthenticated");
    expect((await deleteMe(t, apiKeyHeader(key))).statusCode).toBe(401);
    expect((await send(t, "GET", "/v1/me", user.headers)).statusCode).toBe(200);
  });

  describe("cookie sessions", () => {
    it("need the CSRF token; the answer clears the cookies and the cookie is refused at once", async () => {
      const email = uniqueEmail("cookie");
      await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD });
      const loggedIn = await t.post("/v1/auth/login", {
        email,
        password: STRONG_PASSWORD,
        transport: "cookie",
      });
      const cookie = { cookie: `pc_session=${setCookie(loggedIn, "pc_session").value}` };

      expectProblem(await deleteMe(t, cookie), 403, "csrf_failed");
      expect((await t.get("/v1/me", cookie)).statusCode).toBe(200);

      const deleted = await deleteMe(t, await withCsrf(t, cookie));

      expect(deleted.statusCode, deleted.body).toBe(204);
      for (const name of ["pc_session", "pc_refresh"]) {
        const cleared = setCookie(deleted, name);
        expect(cleared.value).toBe("");
        expect(new Date(cleared.attributes.expires ?? "").getTime()).toBeLessThan(Date.now());
      }
      expectProblem(await t.get("/v1/me", cookie), 401, "invalid_token");
    });
  });
});

describe("account deletion › step-up", () => {
  const clock = createManualClock(Date.now());
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ clock, env: { PORTCULLIS_REAUTH_WINDOW: "10m" } });
  });
  afterAll(() => t.close());

  it("refuses after the window with 401 reauthentication_required, deleting nothing; works after POST /v1/auth/reauthenticate", async () => {
    const email = uniqueEmail("stale");
    const session = await t.signUp(email);
    clock.advance(11 * MINUTE);

    expectProblem(await deleteMe(t, bearer(session.accessToken)), 401, "reauthentication_required");
    expect((await t.get("/v1/me", bearer(session.accessToken))).statusCode).toBe(200);

    const renewed = await t.post(
      "/v1/auth/reauthenticate",
      { password: STRONG_PASSWORD },
      bearer(session.accessToken),
    );
    expect(renewed.statusCode, renewed.body).toBe(200);
    const fresh = renewed.json<TokenResponseBody>();
    expect((await deleteMe(t, bearer(fresh.accessToken))).statusCode).toBe(204);
    expectProblem(
      await t.post("/v1/auth/login", { email, password: STRONG_PASSWORD }),
      401,
      "invalid_credentials",
    );
  });

  it("a cookie session that is too old is refused too, until it re-authenticates", async () => {
    const email = uniqueEmail("cookie");
    await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD });
    const loggedIn = await t.post("/v1/auth/login", {
      email,
      password: STRONG_PASSWORD,
      transport: "cookie",
    });
    const headers = await withCsrf(t, { cookie: `pc_session=${setCookie(loggedIn, "pc_session").value}` });
    clock.advance(11 * MINUTE);

    expectProblem(await deleteMe(t, headers), 401, "reauthentication_required");

    const renewed = await t.post("/v1/auth/reauthenticate", { password: STRONG_PASSWORD }, headers);
    expect(renewed.statusCode, renewed.body).toBe(200);
    const fresh = {
      cookie: `pc_session=${setCookie(renewed, "pc_session").value}`,
      "x-csrf-token": headers["x-csrf-token"],
    };
    expect((await deleteMe(t, fresh)).statusCode).toBe(204);
  });
});

describe("account deletion › the last administrator", () => {
  const apps: TestApp[] = [];
  afterEach(async () => {
    while (apps.length > 0) await apps.pop()?.close();
  });
  const open = async () => {
    const t = await createTestApp();
    apps.push(t);
    return t;
  };

  it("refuses the only enabled administrator with 409 last_admin and keeps the account", async () => {
    const t = await open();
    const only = await createAdmin(t);

    const problem = expectProblem(await deleteMe(t, only.headers), 409, "last_admin");

    expect(problem.detail).toMatch(/admin/);
    expect((await send(t, "GET", "/v1/admin/users?limit=10", only.headers)).statusCode).toBe(200);
  });

  it("lets an administrator go while another enabled one remains; a disabled one does not count", async () => {
    const t = await open();
    const first = await createAdmin(t);
    const second = await createAdmin(t);
    const disabled = await createAdmin(t);
    const patched = await send(t, "PATCH", `/v1/admin/users/${disabled.user.id}`, first.headers, {
      disabled: true,
    });
    expect(patched.statusCode, patched.body).toBe(200);

    expect((await deleteMe(t, first.headers)).statusCode).toBe(204);

    expectProblem(await deleteMe(t, second.headers), 409, "last_admin");
    // A plain user is never the last administrator.
    const user = await createSignedInUser(t);
    expect((await deleteMe(t, user.headers)).statusCode).toBe(204);
  });

  it("of two administrators deleting themselves at once, exactly one goes", async () => {
    const t = await open();
    const [a, b] = [await createAdmin(t), await createAdmin(t)];

    const results = await Promise.all([deleteMe(t, a.headers), deleteMe(t, b.headers)]);

    expect(results.map((response) => response.statusCode).sort()).toEqual([204, 409]);
  });
});
