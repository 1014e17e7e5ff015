/**
 * Invariant: the administrators' changes to an account take effect at once and completely.
 * Disabling revokes every session in that instant: the user's live access token is refused
 * (401 `invalid_token`), their refresh token and API keys too, and login answers 403
 * `account_disabled` until re-enabled. Deleting removes the user and everything they own
 * (sessions, refresh tokens, API keys) and refuses their tokens at once, also after a restart.
 * Listing is paginated with an opaque cursor in a stable order; roles can only be ones the
 * server knows; nothing else about a user can be assigned (API.md "Administration"; ASVS 7.4.2,
 * 7.4.5, 15.3.3).
 */
import { sql } from "kysely";
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
import { createTestApp, STRONG_PASSWORD, type TestApp, uniqueEmail } from "../support/test-app.js";

const ADMIN_USER_FIELDS = [
  "createdAt",
  "disabled",
  "email",
  "emailVerified",
  "id",
  "mfaEnabled",
  "name",
  "roles",
];

interface AdminUser {
  id: string;
  email: string;
  name: string | null;
  roles: string[];
  disabled: boolean;
}

describe("admin API › users", () => {
  let t: TestApp;
  let admin: SignedIn;

  beforeAll(async () => {
    t = await createTestApp({ env: { PORTCULLIS_ROLES: "editor, billing" } });
    admin = await createAdmin(t);
  });
  afterAll(() => t.close());

  const patch = (id: string, body: unknown) => send(t, "PATCH", `/v1/admin/users/${id}`, admin.headers, body);
  const count = async (table: "sessions" | "refresh_tokens" | "api_keys", userId: string) => {
    const query =
      table === "refresh_tokens"
        ? sql<{
            n: number;
          }>`select count(*) as n from refresh_tokens r join sessions s on s.id = r.session_id where s.user_id = ${userId}`
        : sql<{ n: number }>`select count(*) as n from ${sql.table(table)} where user_id = ${userId}`;
    return Number((await query.execute(t.database.db)).rows[0]?.n);
  };

  describe("GET /v1/admin/users", () => {
    it("pages through every user exactly once, in a stable order, with an opaque cursor", async () => {
      const tag = `page-${Date.now()}`;
      const created: string[] = [];
      for (let i = 0; i < 7; i += 1) {
        const outcome = await t.services.users.createUser(
          { email: uniqueEmail(tag), password: STRONG_PASSWORD, name: `Pager ${i}` },
          null,
        );
        if (!outcome.ok) throw new Error(outcome.code);
        created.push(outcome.user.id);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const url: string = `/v1/admin/users?q=${tag}&limit=3${cursor === null ? "" : `&cursor=${cursor}`}`;
        const response = await send(t, "GET", url, admin.headers);
        expect(response.statusCode, response.body).toBe(200);
        const body = response.json<{ users: AdminUser[]; nextCursor: string | null }>();
        expect(body.users.length).toBeLessThanOrEqual(3);
        seen.push(...body.users.map((user) => user.id));
        cursor = body.nextCursor;
        if (cursor !== null) expect(cursor).not.toContain(tag);
        pages += 1;
      } while (cursor !== null && pages < 10);
      expect(pages).toBe(3);
      expect(seen).toEqual(created);
    });

    it("shows the contract's User object plus disabled, and never a password hash", async () => {
      const response = await send(t, "GET", "/v1/admin/users?limit=200", admin.headers);
      expect(response.statusCode).toBe(200);
      const { users } = response.json<{ users: Record<string, unknown>[] }>();
      expect(users.length).toBeGreaterThan(0);
      for (const user of users) expect(Object.keys(user).sort()).toEqual(ADMIN_USER_FIELDS);
      expect(response.body).not.toMatch(/argon2|password/i);
    });

    it("searches email and name case-insensitively and treats % and _ literally", async () => {
      const email = uniqueEmail("Searchable");
      await t.services.users.createUser({ email, password: STRONG_PASSWORD, name: "Grace Hopper" }, null);
      const byEmail = await send(
        t,
        "GET",
        `/v1/admin/users?q=${encodeURIComponent(email.toUpperCase())}`,
        admin.headers,
      );
      expect(byEmail.json<{ users: AdminUser[] }>().users.map((user) => user.email)).toEqual([
        email.toLowerCase(),
      ]);
      const byName = await send(t, "GET", "/v1/admin/users?q=grace%20HOP", admin.headers);
      expect(byName.json<{ users: AdminUser[] }>().users.map((user) => user.name)).toContain("Grace Hopper");
      const wildcard = await send(t, "GET", "/v1/admin/users?q=%25", admin.headers);
      expect(wildcard.json<{ users: AdminUser[] }>().users).toEqual([]);
    });

    it("refuses a cursor it did not hand out and a limit out of range with 400 validation_failed", async () => {
      expectProblem(
        await send(t, "GET", "/v1/admin/users?cursor=bm9wZQ", admin.headers),
        400,
        "validation_failed",
      );
      expectProblem(await send(t, "GET", "/v1/admin/users?limit=0", admin.headers), 400, "validation_failed");
      expectProblem(
        await send(t, "GET", "/v1/admin/users?limit=1000", admin.headers),
        400,
        "validation_failed",
      );
    });
  });

  describe("GET /v1/admin/users/:id", () => {
    it("reads one user with disabled, and 404 not_found for an unknown id", async () => {
      const user = await createSignedInUser(t);
      const response = await send(t, "GET", `/v1/admin/users/${user.user.id}`, admin.headers);
      expect(response.statusCode).toBe(200);
      expect(response.json<{ user: AdminUser }>().user).toMatchObject({
        id: user.user.id,
        email: user.email,
        disabled: false,
      });
      expectProblem(await send(t, "GET", "/v1/admin/users/nobody", admin.headers), 404, "not_found");
    });
  });

  describe("PATCH /v1/admin/users/:id", () => {
    it("sets roles the server knows, including configured ones", async () => {
      const user = await createSignedInUser(t);
      const response = await patch(user.user.id, { roles: ["user", "editor"] });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json<{ user: AdminUser }>().user.roles).toEqual(["user", "editor"]);
      expect((await loginAs(t, user.email)).user.roles).toEqual(["user", "editor"]);
    });

    it("refuses an unknown role with 400 validation_failed naming it, and changes nothing", async () => {
      const user = await createSignedInUser(t);
      const problem = expectProblem(
        await patch(user.user.id, { roles: ["user", "root"] }),
        400,
        "validation_failed",
      );
      expect(problem.errors).toEqual([expect.objectContaining({ pointer: "/roles/1" })]);
      expect((await t.services.users.getUser(user.user.id))?.roles).toEqual(["user"]);
    });

    it("refuses any other property (mass assignment) with 400 validation_failed", async () => {
      const user = await createSignedInUser(t);
      for (const body of [
        { email: "evil@example.com" },
        { emailVerified: true },
        { passwordHash: "x" },
        { id: "x" },
      ]) {
        expectProblem(await patch(user.user.id, body), 400, "validation_failed");
      }
      expect((await t.services.users.getUser(user.user.id))?.email).toBe(user.email);
    });

    it("disabling refuses the user's live access token at once, and their refresh token, API keys and login", async () => {
      const user = await createSignedInUser(t);
      const second = await loginAs(t, user.email);
      const { key } = await createApiKey(t, user);
      expect((await send(t, "GET", "/v1/me", user.headers)).statusCode).toBe(200);
      expect((await send(t, "GET", "/v1/me", apiKeyHeader(key))).statusCode).toBe(200);

      const response = await patch(user.user.id, { disabled: true });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json<{ user: AdminUser }>().user.disabled).toBe(true);

      for (const session of [user, second]) {
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
        403,
        "account_disabled",
      );
      const live = await sql<{
        n: number;
      }>`select count(*) as n from sessions where user_id = ${user.user.id} and revoked_at is null`.execute(
        t.database.db,
      );
      expect(Number(live.rows[0]?.n)).toBe(0);

      const enabled = await patch(user.user.id, { disabled: false });
      expect(enabled.json<{ user: AdminUser }>().user.disabled).toBe(false);
      const again = await loginAs(t, user.email);
      expect((await send(t, "GET", "/v1/me", again.headers)).statusCode).toBe(200);
      expect((await send(t, "GET", "/v1/me", apiKeyHeader(key))).statusCode).toBe(200);
    });

    it("answers a PATCH that changes nothing with the user, and an empty body too", async () => {
      const user = await createSignedInUser(t);
      expect((await patch(user.user.id, {})).statusCode).toBe(200);
      expect((await patch(user.user.id, { roles: ["user"], disabled: false })).statusCode).toBe(200);
      expect((await send(t, "GET", "/v1/me", user.headers)).statusCode).toBe(200);
    });
  });

  describe("DELETE /v1/admin/users/:id", () => {
    it("removes the user with their sessions, refresh tokens and API keys, and refuses their tokens at once", async () => {
      const user = await createSignedInUser(t);
      await loginAs(t, user.email);
      const { key } = await createApiKey(t, user);
      expect(await count("sessions", user.user.id)).toBe(2);
      expect(await count("refresh_tokens", user.user.id)).toBeGreaterThanOrEqual(2);
      expect(await count("api_keys", user.user.id)).toBe(1);

      const response = await send(t, "DELETE", `/v1/admin/users/${user.user.id}`, admin.headers);
      expect(response.statusCode, response.body).toBe(204);

      expectProblem(await send(t, "GET", "/v1/me", user.headers), 401, "invalid_token");
      expectProblem(await send(t, "POST", "/v1/auth/logout", user.headers, {}), 401, "invalid_token");
      expectProblem(await send(t, "GET", "/v1/me", apiKeyHeader(key)), 401, "invalid_api_key");
      expectProblem(
        await t.post("/v1/auth/refresh", { refreshToken: user.refreshToken }),
        401,
        "invalid_refresh_token",
      );
      expectProblem(
        await t.post("/v1/auth/login", { email: user.email, password: STRONG_PASSWORD }),
        401,
        "invalid_credentials",
      );
      for (const table of ["sessions", "refresh_tokens", "api_keys"] as const) {
        expect(await count(table, user.user.id), table).toBe(0);
      }
      expectProblem(await send(t, "GET", `/v1/admin/users/${user.user.id}`, admin.headers), 404, "not_found");
      expectProblem(
        await send(t, "DELETE", `/v1/admin/users/${user.user.id}`, admin.headers),
        404,
        "not_found",
      );
    });

    it("keeps refusing a deleted user's access token on an instance started afterwards", async () => {
      const user = await createSignedInUser(t);
      expect((await send(t, "DELETE", `/v1/admin/users/${user.user.id}`, admin.headers)).statusCode).toBe(
        204,
      );
      const restarted = await createTestApp({
        env: { DATABASE_URL: t.config.databaseUrl, PORTCULLIS_DATA_DIR: t.dir },
      });
      try {
        expectProblem(await send(restarted, "GET", "/v1/me", user.headers), 401, "invalid_token");
        expectProblem(
          await send(restarted, "POST", "/v1/auth/logout-all", user.headers, {}),
          401,
          "invalid_token",
        );
      } finally {
        await restarted.app.close();
        await restarted.database.close();
      }
    });

    it("lets a new account register with the deleted user's address", async () => {
      const user = await createSignedInUser(t);
      expect((await send(t, "DELETE", `/v1/admin/users/${user.user.id}`, admin.headers)).statusCode).toBe(
        204,
      );
      const registered = await t.post("/v1/auth/register", { email: user.email, password: STRONG_PASSWORD });
      expect(registered.statusCode, registered.body).toBe(201);
      expect(registered.json<{ user: { id: string } }>().user.id).not.toBe(user.user.id);
    });
  });

  describe("POST /v1/admin/users/:id/revoke-sessions", () => {
    it("ends every session of that user at once and no one else's; the user may sign in again", async () => {
      const user = await createSignedInUser(t);
      const second = await loginAs(t, user.email);
      const bystander = await createSignedInUser(t);
      const response = await send(
        t,
        "POST",
        `/v1/admin/users/${user.user.id}/revoke-sessions`,
        admin.headers,
        {},
      );
      expect(response.statusCode, response.body).toBe(204);
      for (const session of [user, second]) {
        expectProblem(await send(t, "GET", "/v1/me", session.headers), 401, "invalid_token");
      }
      expect((await send(t, "GET", "/v1/me", bystander.headers)).statusCode).toBe(200);
      expect((await send(t, "GET", "/v1/me", (await loginAs(t, user.email)).headers)).statusCode).toBe(200);
    });
  });
});
