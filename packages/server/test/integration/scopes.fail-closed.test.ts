/**
 * Invariant: scopes fail closed (API.md "Scopes fail closed"). A route guarded by
 * `requireScopes` alone admits a credential only when it carries every scope named: a
 * self-registered user's session — bearer token or cookie — carries the scopes their roles grant
 * (`PORTCULLIS_ROLE_SCOPES`) and no other, an API key the scopes it was made with, and a token
 * without a `scope` claim none at all (it passes role guards, never scope guards). A session
 * token's `scope` is the sorted union of its roles' scopes, present even when empty, derived again
 * at each refresh; removing a role revokes the sessions that carried its scopes. The default
 * mapping keeps `GET /v1/me/events` open to every user and the admin API to administrators.
 */
import { decodeJwt, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authorize, requireScopes } from "../../src/http/plugins/authorization.js";
import { apiKeyHeader, createAdmin, createApiKey, createSignedInUser, send } from "../support/accounts.js";
import { setCookie } from "../support/cookies.js";
import { expectProblem } from "../support/problem-assertions.js";
import {
  bearer,
  createTestApp,
  STRONG_PASSWORD,
  type TestApp,
  type TokenResponseBody,
  uniqueEmail,
} from "../support/test-app.js";

const REPORTS = "/test/reports";
const SIGNED_IN = "/test/signed-in";

/** A test app with a route behind `requireScopes("reports:read")` alone and one behind a role alone. */
async function appWithGuardedRoutes(env: Record<string, string> = {}): Promise<TestApp> {
  const t = await createTestApp({ env });
  t.app.get(
    REPORTS,
    { config: { apiKey: true }, onRequest: [t.app.authenticate, requireScopes("reports:read")] },
    async () => ({ report: "weekly" }),
  );
  t.app.get(SIGNED_IN, { onRequest: [t.app.authenticate, authorize("user")] }, async () => ({ ok: true }));
  return t;
}

/** Registers like anyone can (`POST /v1/auth/register`), then signs in with a bearer token and with a cookie. */
async function selfRegistered(t: TestApp) {
  const email = uniqueEmail("self");
  const registered = await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD });
  expect(registered.statusCode, registered.body).toBe(201);
  const login = await t.post("/v1/auth/login", { email, password: STRONG_PASSWORD });
  expect(login.statusCode, login.body).toBe(200);
  const token = login.json<TokenResponseBody>();
  const cookieLogin = await t.post("/v1/auth/login", {
    email,
    password: STRONG_PASSWORD,
    transport: "cookie",
  });
  expect(cookieLogin.statusCode, cookieLogin.body).toBe(200);
  const cookie = { cookie: `pc_session=${setCookie(cookieLogin, "pc_session").value}` };
  return { email, token, bearer: bearer(token.accessToken), cookie };
}

const scopeOf = (accessToken: string) => decodeJwt(accessToken).scope;

describe("scopes fail closed, with the default PORTCULLIS_ROLE_SCOPES", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await appWithGuardedRoutes();
  });
  afterAll(() => t.close());

  it("refuses a self-registered user's bearer token and cookie on a route guarded by a scope their roles lack", async () => {
    const user = await selfRegistered(t);
    expect(user.token.user.roles).toEqual(["user"]);
    for (const headers of [user.bearer, user.cookie]) {
      const refused = await t.get(REPORTS, headers);
      expectProblem(refused, 403, "insufficient_scope");
      expect(refused.headers["www-authenticate"]).toBe(
        'Bearer realm="portcullis", error="insufficient_scope", scope="reports:read"',
      );
      // The same credential passes a role guard.
      expect((await t.get(SIGNED_IN, headers)).statusCode).toBe(200);
    }
  });

  it("gives a session token the scopes of its roles: events:read for a user, the admin API's for an administrator", async () => {
    const user = await selfRegistered(t);
    expect(scopeOf(user.token.accessToken)).toBe("events:read");
    const admin = await createAdmin(t);
    expect(scopeOf(admin.accessToken)).toBe("admin:read admin:write events:read");
    // Tokens issued later in the session are derived the same way: step-up and refresh.
    const renewed = await t.post("/v1/auth/reauthenticate", { password: STRONG_PASSWORD }, admin.headers);
    expect(renewed.statusCode, renewed.body).toBe(200);
    expect(scopeOf(renewed.json<TokenResponseBody>().accessToken)).toBe("admin:read admin:write events:read");
    const refreshed = await t.post("/v1/auth/refresh", { refreshToken: user.token.refreshToken });
    expect(refreshed.statusCode, refreshed.body).toBe(200);
    expect(scopeOf(refreshed.json<TokenResponseBody>().accessToken)).toBe("events:read");
  });

  it("keeps GET /v1/me/events open to a plain user's token and cookie", async () => {
    const user = await selfRegistered(t);
    for (const headers of [user.bearer, user.cookie]) {
      const response = await t.get("/v1/me/events", headers);
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json<{ events: unknown[] }>().events.length).toBeGreaterThan(0);
    }
  });

  it("keeps the admin API open to an administrator's session, token and cookie", async () => {
    const admin = await createAdmin(t);
    expect((await send(t, "GET", "/v1/admin/users?limit=1", admin.headers)).statusCode).toBe(200);
    const cookieLogin = await t.post("/v1/auth/login", {
      email: admin.email,
      password: STRONG_PASSWORD,
      transport: "cookie",
    });
    const cookie = { cookie: `pc_session=${setCookie(cookieLogin, "pc_session").value}` };
    expect((await t.get("/v1/admin/events?limit=1", cookie)).statusCode).toBe(200);
  });

  it("admits an API key made with the scope, and refuses one made without it", async () => {
    const owner = await createSignedInUser(t);
    const withScope = await createApiKey(t, owner, { name: "reports", scopes: ["reports:read"] });
    const without = await createApiKey(t, owner, { name: "other", scopes: ["events:read"] });
    expect((await t.get(REPORTS, apiKeyHeader(withScope.key))).statusCode).toBe(200);
    const refused = await t.get(REPORTS, apiKeyHeader(without.key));
    expectProblem(refused, 403, "insufficient_scope");
    expect(refused.headers["www-authenticate"]).toBe(
      'ApiKey realm="portcullis", error="insufficient_scope", scope="reports:read"',
    );
  });

  it("refuses a token without a scope claim on every scope guard, and lets it pass a role guard", async () => {
    const user = await selfRegistered(t);
    const { kid, alg, key } = t.services.keyRing.signingKey();
    const claims = { ...decodeJwt(user.token.accessToken) };
    delete claims.scope;
    const unscoped = await new SignJWT(claims).setProtectedHeader({ alg, kid, typ: "at+jwt" }).sign(key);
    // A token the server accepts: its signature and claims are good.
    expect((await t.get("/v1/me", bearer(unscoped))).statusCode).toBe(200);
    expect((await t.get(SIGNED_IN, bearer(unscoped))).statusCode).toBe(200);
    for (const path of [REPORTS, "/v1/me/events"])
      expectProblem(await t.get(path, bearer(unscoped)), 403, "insufficient_scope");
  });
});

describe("scopes fail closed, with PORTCULLIS_ROLE_SCOPES granting the scope", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await appWithGuardedRoutes({
      PORTCULLIS_ROLES: "analyst,guest",
      PORTCULLIS_ROLE_SCOPES: "user=reports:read events:read;analyst=reports:export reports:read",
    });
  });
  afterAll(() => t.close());

  it("admits a self-registered user's bearer token and cookie when their role grants the scope", async () => {
    const user = await selfRegistered(t);
    expect(scopeOf(user.token.accessToken)).toBe("events:read reports:read");
    for (const headers of [user.bearer, user.cookie]) {
      const response = await t.get(REPORTS, headers);
      expect(response.statusCode, response.body).toBe(200);
    }
  });

  it("puts the sorted union of the roles' scopes in the token, and an empty scope when they grant none", async () => {
    const analyst = await createSignedInUser(t, ["user", "analyst"]);
    expect(scopeOf(analyst.accessToken)).toBe("events:read reports:export reports:read");
    const guest = await createSignedInUser(t, ["guest"]);
    expect(decodeJwt(guest.accessToken)).toHaveProperty("scope", "");
    expectProblem(await t.get(REPORTS, guest.headers), 403, "insufficient_scope");
    expectProblem(await t.get("/v1/me/events", guest.headers), 403, "insufficient_scope");
    // The admin role has no entry in this mapping: an administrator's session gets no admin scope.
    const admin = await createAdmin(t);
    expect(scopeOf(admin.accessToken)).toBe("events:read reports:read");
    expectProblem(await send(t, "GET", "/v1/admin/users", admin.headers), 403, "insufficient_scope");
  });
});

describe("scopes follow roles across a refresh and a role change", () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof createAdmin>>;
  beforeAll(async () => {
    t = await appWithGuardedRoutes({
      PORTCULLIS_ROLES: "analyst",
      PORTCULLIS_ROLE_SCOPES: "user=events:read;admin=admin:read admin:write;analyst=reports:read",
    });
    admin = await createAdmin(t);
  });
  afterAll(() => t.close());

  const setRoles = async (userId: string, roles: string[]) => {
    const response = await send(t, "PATCH", `/v1/admin/users/${userId}`, admin.headers, { roles });
    expect(response.statusCode, response.body).toBe(200);
  };

  it("keeps a token's scopes fixed at issue: adding a role ends the sessions, the next sign-in carries it", async () => {
    const user = await selfRegistered(t);
    await setRoles(user.token.user.id, ["user", "analyst"]);
    // The live token, its refresh token and the cookie end with the change.
    expectProblem(await t.get(REPORTS, user.bearer), 401, "invalid_token");
    expectProblem(
      await t.post("/v1/auth/refresh", { refreshToken: user.token.refreshToken }),
      401,
      "invalid_refresh_token",
    );
    expectProblem(await t.get(REPORTS, user.cookie), 401, "invalid_token");
    const again = await t.post("/v1/auth/login", { email: user.token.user.email, password: STRONG_PASSWORD });
    expect(again.statusCode, again.body).toBe(200);
    const { accessToken } = again.json<TokenResponseBody>();
    expect(scopeOf(accessToken)).toBe("events:read reports:read");
    expect((await t.get(REPORTS, bearer(accessToken))).statusCode).toBe(200);
  });

  it("revokes the sessions that carried a role's scopes when the role is removed", async () => {
    const analyst = await createSignedInUser(t, ["user", "analyst"]);
    const cookieLogin = await t.post("/v1/auth/login", {
      email: analyst.email,
      password: STRONG_PASSWORD,
      transport: "cookie",
    });
    const cookie = { cookie: `pc_session=${setCookie(cookieLogin, "pc_session").value}` };
    expect((await t.get(REPORTS, analyst.headers)).statusCode).toBe(200);
    expect((await t.get(REPORTS, cookie)).statusCode).toBe(200);

    await setRoles(analyst.user.id, ["user"]);
    expectProblem(await t.get(REPORTS, analyst.headers), 401, "invalid_token");
    expectProblem(await t.get(REPORTS, cookie), 401, "invalid_token");
    expectProblem(
      await t.post("/v1/auth/refresh", { refreshToken: analyst.refreshToken }),
      401,
      "invalid_refresh_token",
    );
    const again = await t.post("/v1/auth/login", { email: analyst.email, password: STRONG_PASSWORD });
    const { accessToken } = again.json<TokenResponseBody>();
    expect(scopeOf(accessToken)).toBe("events:read");
    expectProblem(await t.get(REPORTS, bearer(accessToken)), 403, "insufficient_scope");
  });
});
