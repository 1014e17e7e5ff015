/**
 * Invariant: every route of the admin API is guarded by role and scope. Without credentials it
 * answers 401 `unauthenticated` with a `WWW-Authenticate` challenge; with a failing credential
 * 401; for a signed-in user without the `admin` role 403 `insufficient_role` (whatever scopes
 * their API key claims); for an administrator's API key without the route's scope 403
 * `insufficient_scope` with an RFC 6750 challenge naming it; and for an administrator (session, or
 * key with the scope) the contract's success (API.md "Administration", "Conventions";
 * ASVS 8.2.1, 8.3.1).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  apiKeyHeader,
  createAdmin,
  createApiKey,
  createSignedInUser,
  loginAs,
  type SignedIn,
  send,
} from "../support/accounts.js";
import { expectProblem } from "../support/problem-assertions.js";
import { createTestApp, type TestApp } from "../support/test-app.js";

interface AdminRoute {
  name: string;
  method: "GET" | "POST" | "PATCH" | "DELETE";
  scope: "admin:read" | "admin:write";
  success: number;
  /** The URL (and body) of one call; a fresh target user for calls that change one. */
  prepare(): Promise<{ url: string; body?: unknown }>;
  /** The URL of the route for an id nobody has, when the route names a user. */
  unknownIdUrl?: string;
}

describe("admin API › role and scope guards", () => {
  let t: TestApp;
  let admin: SignedIn;
  let plain: SignedIn;
  let adminReadKey: string;
  let adminWriteKey: string;
  let adminUnscopedKey: string;
  let plainKeyWithAdminScopes: string;

  const target = async () => (await createSignedInUser(t)).user.id;

  const routes: AdminRoute[] = [
    {
      name: "GET /v1/admin/users",
      method: "GET",
      scope: "admin:read",
      success: 200,
      prepare: async () => ({ url: "/v1/admin/users?limit=5" }),
    },
    {
      name: "GET /v1/admin/users/:id",
      method: "GET",
      scope: "admin:read",
      success: 200,
      prepare: async () => ({ url: `/v1/admin/users/${await target()}` }),
      unknownIdUrl: "/v1/admin/users/no-such-user",
    },
    {
      name: "PATCH /v1/admin/users/:id",
      method: "PATCH",
      scope: "admin:write",
      success: 200,
      prepare: async () => ({ url: `/v1/admin/users/${await target()}`, body: { disabled: true } }),
      unknownIdUrl: "/v1/admin/users/no-such-user",
    },
    {
      name: "DELETE /v1/admin/users/:id",
      method: "DELETE",
      scope: "admin:write",
      success: 204,
      prepare: async () => ({ url: `/v1/admin/users/${await target()}` }),
      unknownIdUrl: "/v1/admin/users/no-such-user",
    },
    {
      name: "POST /v1/admin/users/:id/revoke-sessions",
      method: "POST",
      scope: "admin:write",
      success: 204,
      prepare: async () => ({ url: `/v1/admin/users/${await target()}/revoke-sessions`, body: {} }),
      unknownIdUrl: "/v1/admin/users/no-such-user/revoke-sessions",
    },
    {
      name: "GET /v1/admin/events",
      method: "GET",
      scope: "admin:read",
      success: 200,
      prepare: async () => ({ url: "/v1/admin/events?limit=5" }),
    },
  ];

  beforeAll(async () => {
    t = await createTestApp();
    admin = await createAdmin(t);
    plain = await createSignedInUser(t);
    adminReadKey = (await createApiKey(t, admin, { name: "read", scopes: ["admin:read"] })).key;
    adminWriteKey = (await createApiKey(t, admin, { name: "write", scopes: ["admin:write"] })).key;
    adminUnscopedKey = (await createApiKey(t, admin, { name: "none" })).key;
    plainKeyWithAdminScopes = (
      await createApiKey(t, plain, { name: "wishful", scopes: ["admin:read", "admin:write"] })
    ).key;
  });
  afterAll(() => t.close());

  const call = async (route: AdminRoute, headers: Record<string, string>) => {
    const { url, body } = await route.prepare();
    return send(t, route.method, url, headers, body ?? (route.method === "POST" ? {} : undefined));
  };

  describe.each(routes)("$name", (route) => {
    it("answers 401 unauthenticated with a Bearer challenge without credentials", async () => {
      const response = await call(route, {});
      expectProblem(response, 401, "unauthenticated");
      expect(response.headers["www-authenticate"]).toMatch(/^Bearer realm="portcullis"/);
    });

    it("answers 401 invalid_token for a forged bearer token, and 401 invalid_api_key for an unknown key", async () => {
      expectProblem(await call(route, { authorization: "Bearer not.a.token" }), 401, "invalid_token");
      const unknown = await call(route, apiKeyHeader(`pc_AAAAAAAAAAAA_${"B".repeat(43)}`));
      expectProblem(unknown, 401, "invalid_api_key");
      expect(unknown.headers["www-authenticate"]).toMatch(/error="invalid_api_key"/);
    });

    it("answers 403 insufficient_role to a signed-in user without the admin role", async () => {
      expectProblem(await call(route, plain.headers), 403, "insufficient_role");
    });

    it("answers 403 insufficient_role to a plain user's API key, whatever scopes it claims", async () => {
      expectProblem(await call(route, apiKeyHeader(plainKeyWithAdminScopes)), 403, "insufficient_role");
    });

    it("answers 403 insufficient_scope, naming the scope, to an admin's API key without it", async () => {
      const other = route.scope === "admin:read" ? adminWriteKey : adminReadKey;
      for (const key of [adminUnscopedKey, other]) {
        const response = await call(route, apiKeyHeader(key));
        expectProblem(response, 403, "insufficient_scope");
        expect(response.headers["www-authenticate"]).toBe(
          `ApiKey realm="portcullis", error="insufficient_scope", scope="${route.scope}"`,
        );
      }
    });

    it(`answers ${route.success} to an administrator's session`, async () => {
      const response = await call(route, admin.headers);
      expect(response.statusCode, response.body).toBe(route.success);
    });

    it(`answers ${route.success} to an administrator's API key with ${route.scope}`, async () => {
      const key = route.scope === "admin:read" ? adminReadKey : adminWriteKey;
      const response = await call(route, apiKeyHeader(key));
      expect(response.statusCode, response.body).toBe(route.success);
    });

    if (route.unknownIdUrl !== undefined) {
      const url = route.unknownIdUrl;
      it("answers 404 not_found for an unknown user id, and still 403 to a plain user", async () => {
        const body = route.method === "PATCH" ? { disabled: true } : route.method === "POST" ? {} : undefined;
        expectProblem(await send(t, route.method, url, admin.headers, body), 404, "not_found");
        expectProblem(await send(t, route.method, url, plain.headers, body), 403, "insufficient_role");
      });
    }
  });

  it.each([
    "//v1/admin/users",
    "/v1//admin/users",
    "/v1/admin/users/",
    "/v1/admin/users;x=1",
    "/v1/admin/%75sers",
    "/v1/ADMIN/users",
    "/v1/admin/users/..%2F..%2Fadmin%2Fusers",
  ])("never answers a path variant (%s) without credentials, nor to a plain user", async (path) => {
    for (const headers of [{}, plain.headers]) {
      const response = await send(t, "GET", path, headers);
      expect([401, 403, 404], `${path}: ${response.statusCode} ${response.body}`).toContain(
        response.statusCode,
      );
      expect(response.body).not.toContain('"users"');
    }
  });

  it("signs out an administrator whose admin role is removed; signed in again, they get 403", async () => {
    const demoted = await createAdmin(t);
    expect((await send(t, "GET", "/v1/admin/users", demoted.headers)).statusCode).toBe(200);
    const patched = await send(t, "PATCH", `/v1/admin/users/${demoted.user.id}`, admin.headers, {
      roles: ["user"],
    });
    expect(patched.statusCode, patched.body).toBe(200);

    // The old token still claims "admin": it is refused at once rather than trusted for its lifetime.
    expectProblem(await send(t, "GET", "/v1/admin/users", demoted.headers), 401, "invalid_token");
    expectProblem(
      await t.post("/v1/auth/refresh", { refreshToken: demoted.refreshToken }),
      401,
      "invalid_refresh_token",
    );
    const again = await loginAs(t, demoted.email);
    expect(again.user.roles).toEqual(["user"]);
    expectProblem(await send(t, "GET", "/v1/admin/users", again.headers), 403, "insufficient_role");
  });

  it("revokes the sessions when a role is added too; the next login carries it", async () => {
    const promoted = await createSignedInUser(t);
    const patched = await send(t, "PATCH", `/v1/admin/users/${promoted.user.id}`, admin.headers, {
      roles: ["user", "admin"],
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expectProblem(await send(t, "GET", "/v1/me", promoted.headers), 401, "invalid_token");
    expectProblem(
      await t.post("/v1/auth/refresh", { refreshToken: promoted.refreshToken }),
      401,
      "invalid_refresh_token",
    );
    const again = await loginAs(t, promoted.email);
    expect(again.user.roles).toEqual(["user", "admin"]);
    expect((await send(t, "GET", "/v1/admin/users", again.headers)).statusCode).toBe(200);
  });
});
