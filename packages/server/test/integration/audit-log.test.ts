/**
 * Invariant: every security event is recorded with its subject, actor, client address, user agent
 * and time, in the same transaction as the act it records: when the audit row cannot be written
 * the act does not happen, and an act that fails leaves no row. A user reads their own events at
 * `GET /v1/me/events`, newest first, in the contract's shape; administrators read everyone's with
 * filters. Retention pruning removes old events and the chain still verifies (API.md "The
 * signed-in user", "Administration"; ASVS 16.3.1–16.3.3; STYLE.md "Audit events").
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
import { withFailingWrites } from "../support/sql-faults.js";
import {
  createManualClock,
  createTestApp,
  STRONG_PASSWORD,
  type TestApp,
  type TokenResponseBody,
  uniqueEmail,
} from "../support/test-app.js";

interface EventJson {
  id: string;
  type: string;
  at: string;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
  userId?: string | null;
  actorId?: string | null;
}

const USER_AGENT = "audit-test/1.0";
const NEW_PASSWORD = "marble-Teapot-58-horizon";

describe("audit log", () => {
  let t: TestApp;
  let admin: SignedIn;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await createAdmin(t);
  });
  afterAll(() => t.close());

  const myEvents = async (headers: Record<string, string>, query = "") => {
    const response = await send(t, "GET", `/v1/me/events${query}`, headers);
    expect(response.statusCode, response.body).toBe(200);
    return response.json<{ events: EventJson[] }>().events;
  };
  const adminEvents = async (query: string) => {
    const response = await send(t, "GET", `/v1/admin/events?${query}`, admin.headers);
    expect(response.statusCode, response.body).toBe(200);
    return response.json<{ events: EventJson[]; nextCursor: string | null }>();
  };
  const auditRows = async (userId: string, type: string) =>
    Number(
      (
        await sql<{
          n: number;
        }>`select count(*) as n from audit_events where user_id = ${userId} and type = ${type}`.execute(
          t.database.db,
        )
      ).rows[0]?.n,
    );

  describe("GET /v1/me/events", () => {
    it("records a user's security life, newest first, in the contract's shape", async () => {
      const email = uniqueEmail("audited");
      const ua = { "user-agent": USER_AGENT };
      expect((await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD }, ua)).statusCode).toBe(
        201,
      );
      expectProblem(
        await t.post("/v1/auth/login", { email, password: "wrong-Password-1" }, ua),
        401,
        "invalid_credentials",
      );
      const first = (
        await t.post("/v1/auth/login", { email, password: STRONG_PASSWORD }, ua)
      ).json<TokenResponseBody>();
      const second = await loginAs(t, email);
      const headers = { authorization: `Bearer ${first.accessToken}`, ...ua };
      // Refresh-token reuse: the second session's original token, presented after rotation.
      expect((await t.post("/v1/auth/refresh", { refreshToken: second.refreshToken })).statusCode).toBe(200);
      expectProblem(
        await t.post("/v1/auth/refresh", { refreshToken: second.refreshToken }),
        401,
        "refresh_token_reused",
      );
      const { apiKey } = await createApiKey(t, { ...first, email, headers });
      expect((await send(t, "DELETE", `/v1/api-keys/${apiKey.id}`, headers)).statusCode).toBe(204);
      await loginAs(t, email);
      expect(
        (
          await send(t, "POST", "/v1/me/password", headers, {
            currentPassword: STRONG_PASSWORD,
            newPassword: NEW_PASSWORD,
          })
        ).statusCode,
      ).toBe(204);
      expect(
        (
          await send(t, "PATCH", `/v1/admin/users/${first.user.id}`, admin.headers, {
            roles: ["user", "admin"],
          })
        ).statusCode,
      ).toBe(200);
      expect(
        (await send(t, "PATCH", `/v1/admin/users/${first.user.id}`, admin.headers, { disabled: true }))
          .statusCode,
      ).toBe(200);
      expect(
        (await send(t, "PATCH", `/v1/admin/users/${first.user.id}`, admin.headers, { disabled: false }))
          .statusCode,
      ).toBe(200);
      expectProblem(
        await t.post("/v1/auth/login", { email, password: "wrong-Password-2" }),
        401,
        "invalid_credentials",
      );
      const fresh = await loginAs(t, email, NEW_PASSWORD);

      const events = await myEvents(fresh.headers);
      const types = events.map((event) => event.type);
      for (const type of [
        "user.registered",
        "login.succeeded",
        "login.failed",
        "refresh_token.reused",
        "api_key.created",
        "api_key.revoked",
        "password.changed",
        "session.revoked",
        "user.roles_changed",
        "user.disabled",
        "user.enabled",
      ]) {
        expect(types, type).toContain(type);
      }
      // Newest first, oldest last.
      expect(types[0]).toBe("login.succeeded");
      expect(types.at(-1)).toBe("user.registered");
      const times = events.map((event) => Date.parse(event.at));
      expect([...times].sort((a, b) => b - a)).toEqual(times);

      for (const event of events) {
        expect(Object.keys(event).sort()).toEqual(["at", "details", "id", "ip", "type", "userAgent"]);
        expect(event.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      }
      const registered = events.find((event) => event.type === "user.registered");
      expect(registered).toMatchObject({ ip: "127.0.0.1", userAgent: USER_AGENT });
      expect(events.find((event) => event.type === "login.failed")?.details).toMatchObject({
        reason: "wrong_password",
      });
      expect(events.find((event) => event.type === "api_key.created")?.details).toMatchObject({
        prefix: apiKey.prefix,
      });
      expect(events.find((event) => event.type === "user.roles_changed")?.details).toEqual({
        from: "user",
        to: "user admin",
      });
      // The password change revoked the other live sessions, each recorded with its id and reason.
      expect(events.find((event) => event.type === "session.revoked")?.details).toMatchObject({
        sessionId: expect.any(String),
      });
      // Nothing secret in any event.
      const text = JSON.stringify(events);
      for (const secret of [STRONG_PASSWORD, NEW_PASSWORD, first.refreshToken, first.accessToken]) {
        expect(text).not.toContain(secret);
      }
    });

    it("shows only the caller's own events", async () => {
      const alice = await createSignedInUser(t);
      const bob = await createSignedInUser(t);
      await createApiKey(t, bob);
      const events = await myEvents(alice.headers);
      expect(events.map((event) => event.type)).not.toContain("api_key.created");
      expect(JSON.stringify(events)).not.toContain(bob.user.id);
    });

    it("honours limit, and is open to an API key only with events:read", async () => {
      const user = await createSignedInUser(t);
      for (let i = 0; i < 3; i += 1) await loginAs(t, user.email);
      expect(await myEvents(user.headers, "?limit=2")).toHaveLength(2);
      const scoped = await createApiKey(t, user, { name: "reader", scopes: ["events:read"] });
      const unscoped = await createApiKey(t, user, { name: "none" });
      expect((await myEvents(apiKeyHeader(scoped.key))).length).toBeGreaterThan(0);
      const refused = await send(t, "GET", "/v1/me/events", apiKeyHeader(unscoped.key));
      expectProblem(refused, 403, "insufficient_scope");
      expect(refused.headers["www-authenticate"]).toContain('scope="events:read"');
      expectProblem(await send(t, "GET", "/v1/me/events"), 401, "unauthenticated");
    });
  });

  describe("GET /v1/admin/events", () => {
    it("filters by subject and type, names the acting administrator, and pages with a cursor", async () => {
      const user = await createSignedInUser(t);
      for (let i = 0; i < 4; i += 1) await loginAs(t, user.email);
      expect(
        (await send(t, "POST", `/v1/admin/users/${user.user.id}/revoke-sessions`, admin.headers, {}))
          .statusCode,
      ).toBe(204);

      const logins = await adminEvents(`userId=${user.user.id}&type=login.succeeded&limit=2`);
      expect(logins.events).toHaveLength(2);
      expect(
        logins.events.every((event) => event.type === "login.succeeded" && event.userId === user.user.id),
      ).toBe(true);
      expect(logins.nextCursor).not.toBeNull();
      const rest = await adminEvents(
        `userId=${user.user.id}&type=login.succeeded&limit=10&cursor=${logins.nextCursor}`,
      );
      expect(rest.events).toHaveLength(3);
      expect(rest.nextCursor).toBeNull();
      const ids = [...logins.events, ...rest.events].map((event) => event.id);
      expect(new Set(ids).size).toBe(5);

      const revocations = await adminEvents(`userId=${user.user.id}&type=session.revoked`);
      expect(revocations.events).toHaveLength(5);
      expect(revocations.events.every((event) => event.actorId === admin.user.id)).toBe(true);
      expect(revocations.events[0]?.details).toMatchObject({ reason: "revoked_by_admin" });
    });

    it("keeps the record of a deleted user, with the administrator as actor", async () => {
      const user = await createSignedInUser(t);
      expect((await send(t, "DELETE", `/v1/admin/users/${user.user.id}`, admin.headers)).statusCode).toBe(
        204,
      );
      const { events } = await adminEvents(`userId=${user.user.id}&type=user.deleted`);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        userId: user.user.id,
        actorId: admin.user.id,
        details: { sessionsRevoked: 1 },
      });
      expect((await adminEvents(`userId=${user.user.id}&type=user.registered`)).events).toHaveLength(1);
    });

    it("records a refused sign-in of a disabled account as login.failed", async () => {
      const user = await createSignedInUser(t);
      await send(t, "PATCH", `/v1/admin/users/${user.user.id}`, admin.headers, { disabled: true });
      expectProblem(
        await t.post("/v1/auth/login", { email: user.email, password: STRONG_PASSWORD }),
        403,
        "account_disabled",
      );
      const { events } = await adminEvents(`userId=${user.user.id}&type=login.failed`);
      expect(events[0]?.details).toEqual({ reason: "account_disabled" });
    });

    it("refuses a cursor it did not hand out", async () => {
      expectProblem(
        await send(t, "GET", "/v1/admin/events?cursor=xyz", admin.headers),
        400,
        "validation_failed",
      );
    });
  });

  describe("written in the same transaction as the act", () => {
    /** Makes every insert of an audit event of `type` fail, as a full disk or a constraint would. */
    async function failAuditOf(type: string, work: () => Promise<void>) {
      await withFailingWrites(
        t.database,
        {
          name: "fail_audit",
          table: "audit_events",
          event: "insert",
          when: `new.type = '${type}'`,
          message: "audit write refused",
        },
        work,
      );
    }

    it("creates no API key when its api_key.created event cannot be written", async () => {
      const user = await createSignedInUser(t);
      await failAuditOf("api_key.created", async () => {
        expectProblem(
          await send(t, "POST", "/v1/api-keys", user.headers, { name: "x" }),
          500,
          "internal_error",
        );
      });
      const keys = await sql<{
        n: number;
      }>`select count(*) as n from api_keys where user_id = ${user.user.id}`.execute(t.database.db);
      expect(Number(keys.rows[0]?.n)).toBe(0);
      expect(await auditRows(user.user.id, "api_key.created")).toBe(0);
    });

    it("keeps an API key working when its api_key.revoked event cannot be written", async () => {
      const user = await createSignedInUser(t);
      const { apiKey, key } = await createApiKey(t, user);
      await failAuditOf("api_key.revoked", async () => {
        expectProblem(
          await send(t, "DELETE", `/v1/api-keys/${apiKey.id}`, user.headers),
          500,
          "internal_error",
        );
      });
      expect((await send(t, "GET", "/v1/me", apiKeyHeader(key))).statusCode).toBe(200);
    });

    it("disables nobody, revokes no session and leaves no session.revoked row when user.disabled cannot be written", async () => {
      const user = await createSignedInUser(t);
      await failAuditOf("user.disabled", async () => {
        expectProblem(
          await send(t, "PATCH", `/v1/admin/users/${user.user.id}`, admin.headers, { disabled: true }),
          500,
          "internal_error",
        );
      });
      expect((await t.services.users.getUser(user.user.id))?.disabledAt).toBeNull();
      expect((await send(t, "GET", "/v1/me", user.headers)).statusCode).toBe(200);
      expect((await t.post("/v1/auth/refresh", { refreshToken: user.refreshToken })).statusCode).toBe(200);
      // The session.revoked rows were written earlier in the same transaction, and went with it.
      expect(await auditRows(user.user.id, "session.revoked")).toBe(0);
    });

    it("deletes nobody when user.deleted cannot be written", async () => {
      const user = await createSignedInUser(t);
      await failAuditOf("user.deleted", async () => {
        expectProblem(
          await send(t, "DELETE", `/v1/admin/users/${user.user.id}`, admin.headers),
          500,
          "internal_error",
        );
      });
      expect(await t.services.users.getUser(user.user.id)).toBeDefined();
      expect((await send(t, "GET", "/v1/me", user.headers)).statusCode).toBe(200);
    });

    it("keeps the old password when password.changed cannot be written", async () => {
      const user = await createSignedInUser(t);
      const other = await loginAs(t, user.email);
      await failAuditOf("password.changed", async () => {
        const response = await send(t, "POST", "/v1/me/password", user.headers, {
          currentPassword: STRONG_PASSWORD,
          newPassword: NEW_PASSWORD,
        });
        expectProblem(response, 500, "internal_error");
      });
      await loginAs(t, user.email, STRONG_PASSWORD);
      expect((await send(t, "GET", "/v1/me", other.headers)).statusCode).toBe(200);
      expect(await auditRows(user.user.id, "session.revoked")).toBe(0);
    });

    it("writes no user.roles_changed row when the role change itself fails", async () => {
      const user = await createSignedInUser(t);
      await withFailingWrites(
        t.database,
        { name: "fail_roles", table: "users", event: "update of roles", message: "roles locked" },
        async () => {
          expectProblem(
            await send(t, "PATCH", `/v1/admin/users/${user.user.id}`, admin.headers, {
              roles: ["user", "admin"],
            }),
            500,
            "internal_error",
          );
        },
      );
      expect(await auditRows(user.user.id, "user.roles_changed")).toBe(0);
    });
  });
});

describe("audit log › retention", () => {
  it("prunes events past the retention period, records it, and the chain still verifies", async () => {
    const clock = createManualClock(Date.now());
    const t = await createTestApp({ clock, env: { PORTCULLIS_AUDIT_RETENTION: "1d" } });
    try {
      const old = await createSignedInUser(t);
      expect(await t.services.auditLog.prune()).toBe(0);
      clock.advance(2 * 86_400_000);
      const recent = await createSignedInUser(t);
      const before = await t.services.auditLog.verify();
      expect(before.ok).toBe(true);

      const removed = await t.services.auditLog.prune();
      expect(removed).toBeGreaterThanOrEqual(2);
      const left = await sql<{
        user_id: string | null;
        type: string;
      }>`select user_id, type from audit_events order by seq`.execute(t.database.db);
      expect(left.rows.some((row) => row.user_id === old.user.id)).toBe(false);
      expect(left.rows.some((row) => row.user_id === recent.user.id)).toBe(true);
      expect(left.rows.at(-1)?.type).toBe("audit.pruned");
      expect(await t.services.auditLog.verify()).toMatchObject({ ok: true, events: left.rows.length });
      expect(await t.services.auditLog.prune()).toBe(0);

      // Removing more of the start than the pruning did is still seen.
      await sql`delete from audit_events where seq = (select min(seq) from audit_events)`.execute(
        t.database.db,
      );
      expect(await t.services.auditLog.verify()).toMatchObject({ ok: false, reason: "start_missing" });
    } finally {
      await t.close();
    }
  });
});
