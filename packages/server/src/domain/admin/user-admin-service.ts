/**
 * The administrators' side of accounts (API.md "Administration"): list and search users, change
 * roles, disable, delete, revoke sessions. Each change is one transaction together with its audit
 * events; after the commit the revocations are applied here and published on the bus, so the
 * user's live access tokens are refused at once, on this instance and on the others
 * (ASVS 7.4.2, 7.4.5, 8.3.2).
 *
 * - Disabling revokes every session (SQL + the session ids) and cuts off every token issued
 *   before now (a `user` revocation); login, refresh and API keys check the flag as well.
 * - Changing the roles, adding or removing, revokes every session of the user (API.md "Scopes
 *   fail closed": a token's roles and scopes are fixed when it is issued): no token outlives the
 *   change with roles it no longer has, and a new privilege starts with a new session (ASVS
 *   8.3.2, and a new session at a privilege change). API keys always act with the owner's
 *   current roles.
 * - Deleting removes the user and, by cascade, their sessions, refresh tokens and API keys. The
 *   audit events stay (they are the record, and the hash chain must not break); the
 *   `user.deleted` event is also what restores the revocation after a restart (revocation-source.ts).
 *   The owner's own deletion (`DELETE /v1/me`) shares this part: users/account-removal.ts.
 */
import type { ClientContext } from "../audit/audit-event.js";
import { ADMIN_ROLE } from "../authz/roles.js";
import { type Clock, toSeconds } from "../clock.js";
import type { Persistence, Stores, UserListPosition } from "../persistence.js";
import type { RevocationBus, RevocationEvent, RevocationSet } from "../sessions/revocation.js";
import type { SessionService } from "../sessions/session-service.js";
import { announceAccountRemoval, removeAccountIn } from "../users/account-removal.js";
import { normalizeEmail } from "../users/email.js";
import type { User } from "../users/user.js";
import { isLastEnabledAdmin } from "./last-admin.js";

export interface UserAdminServiceDeps {
  persistence: Persistence;
  clock: Clock;
  sessions: SessionService;
  revocations: RevocationSet;
  bus: RevocationBus;
  /** Every role that may be granted. */
  roles: readonly string[];
  accessTokenTtlSeconds: number;
}

/** The administrator acting, and from where. */
export interface AdminActor {
  userId: string;
  client: ClientContext;
}

/** An administrator, or null for the command line (an operator on the server itself): audited with no actor. */
export type AdminActorOrOperator = AdminActor | null;

export type UserListPage =
  | { ok: true; users: User[]; nextCursor: string | null }
  | { ok: false; code: "invalid_cursor" };

export type UpdateUserOutcome =
  | { ok: true; user: User }
  | { ok: false; code: "not_found" }
  | { ok: false; code: "unknown_roles"; roles: string[] }
  /** The change would leave no enabled administrator: nobody could administer the server any more. */
  | { ok: false; code: "last_admin" };

export interface UserAdminService {
  listUsers(query: { text?: string; cursor?: string; limit: number }): Promise<UserListPage>;
  getUser(id: string): Promise<User | undefined>;
  /** The user with this address (normalised as at sign-up), if any. */
  findUserByEmail(email: string): Promise<User | undefined>;
  /** How many users there are. */
  countUsers(): Promise<number>;
  updateUser(
    id: string,
    changes: { roles?: string[]; disabled?: boolean },
    actor: AdminActorOrOperator,
  ): Promise<UpdateUserOutcome>;
  deleteUser(id: string, actor: AdminActorOrOperator): Promise<"deleted" | "not_found" | "last_admin">;
  /** False when there is no such user. */
  revokeSessions(id: string, actor: AdminActorOrOperator): Promise<boolean>;
}

const CURSOR_VERSION = "u1";

function encodeCursor(user: User): string {
  return Buffer.from(JSON.stringify([CURSOR_VERSION, user.createdAt, user.id]), "utf8").toString("base64url");
}

function decodeCursor(cursor: string): UserListPosition | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (
      Array.isArray(value) &&
      value.length === 3 &&
      value[0] === CURSOR_VERSION &&
      Number.isSafeInteger(value[1]) &&
      typeof value[2] === "string"
    ) {
      return { createdAt: value[1] as number, id: value[2] };
    }
  } catch {
    // Not ours: the caller gets `invalid_cursor`.
  }
  return null;
}

/**
 * The `user` revocation of a disabled account starts at the current whole second: tokens are
 * stamped in seconds (`iat`), and one issued after a re-enable within the same second must not be
 * refused. Tokens of that second issued before the disable are refused by their revoked session.
 */
const fromTokenSecond = (at: number) => toSeconds(at) * 1000;

export function createUserAdminService(deps: UserAdminServiceDeps): UserAdminService {
  const { persistence, clock, sessions } = deps;

  async function publish(event: RevocationEvent): Promise<void> {
    deps.revocations.apply(event);
    await deps.bus.publish(event);
  }

  /** Revokes every live session, recording each with the administrator as the actor. */
  async function revokeAllSessionsIn(stores: Stores, user: User, actor: AdminActorOrOperator, now: number) {
    const ids = await stores.sessions.revokeUserSessions(user.id, now, "revoked");
    for (const sessionId of ids) {
      await stores.audit.appendAuditEvent({
        type: "session.revoked",
        userId: user.id,
        ...auditedActor(actor),
        details: { sessionId, reason: "revoked_by_admin" },
        at: now,
      });
    }
    return ids;
  }

  /** The audit event of an administrator's act on `user`. */
  function recordAdminAct(
    stores: Stores,
    type: "user.roles_changed" | "user.disabled" | "user.enabled",
    user: User,
    actor: AdminActorOrOperator,
    details: Record<string, string | number | boolean | null>,
    at: number,
  ) {
    return stores.audit.appendAuditEvent({
      type,
      userId: user.id,
      ...auditedActor(actor),
      details,
      at,
    });
  }

  return {
    async listUsers(query) {
      let after: UserListPosition | null = null;
      if (query.cursor !== undefined) {
        after = decodeCursor(query.cursor);
        if (after === null) return { ok: false, code: "invalid_cursor" };
      }
      const text = query.text?.normalize("NFKC").trim().toLowerCase() || null;
      const users = await persistence.userAdmin.searchUsers({ text, after, limit: query.limit + 1 });
      const page = users.slice(0, query.limit);
      const last = page.at(-1);
      return {
        ok: true,
        users: page,
        nextCursor: users.length > query.limit && last !== undefined ? encodeCursor(last) : null,
      };
    },

    getUser: (id) => persistence.users.findUserById(id),

    async findUserByEmail(input) {
      const email = normalizeEmail(input);
      if (email === null) return undefined;
      const found = await persistence.users.findUserWithPasswordByEmail(email);
      if (found === undefined) return undefined;
      // The only lookup by address loads the hash too; it goes no further than here.
      const { passwordHash: _hash, ...user } = found;
      return user;
    },

    countUsers: () => persistence.userAdmin.countUsers(),

    async updateUser(id, changes, actor) {
      const requested = changes.roles === undefined ? undefined : [...new Set(changes.roles)];
      const unknown = requested?.filter((role) => !deps.roles.includes(role)) ?? [];
      if (unknown.length > 0) return { ok: false, code: "unknown_roles", roles: unknown };

      const now = clock.now();
      const result = await persistence.transaction(async (stores) => {
        await stores.userAdmin.lockRoleHolders();
        const user = await stores.users.findUserById(id);
        if (user === undefined) return undefined;
        const losesAdmin =
          (requested !== undefined && !requested.includes(ADMIN_ROLE)) || changes.disabled === true;
        if (losesAdmin && (await isLastEnabledAdmin(stores, user))) return "last_admin" as const;
        let revokedSessionIds: string[] = [];
        let cutOff = false;

        if (requested !== undefined && !sameRoles(user.roles, requested)) {
          await stores.users.setUserRoles(id, requested, now);
          await recordAdminAct(
            stores,
            "user.roles_changed",
            user,
            actor,
            { from: user.roles.join(" "), to: requested.join(" ") },
            now,
          );
          revokedSessionIds = await revokeAllSessionsIn(stores, user, actor, now);
        }
        if (changes.disabled === true && user.disabledAt === null) {
          await stores.userAdmin.setUserDisabled(id, now, now);
          revokedSessionIds.push(...(await revokeAllSessionsIn(stores, user, actor, now)));
          await recordAdminAct(
            stores,
            "user.disabled",
            user,
            actor,
            { sessionsRevoked: revokedSessionIds.length },
            now,
          );
          cutOff = true;
        } else if (changes.disabled === false && user.disabledAt !== null) {
          await stores.userAdmin.setUserDisabled(id, null, now);
          await recordAdminAct(stores, "user.enabled", user, actor, {}, now);
        }
        const updated = await stores.users.findUserById(id);
        return updated === undefined ? undefined : { user: updated, cutOff, revokedSessionIds };
      });
      if (result === undefined) return { ok: false, code: "not_found" };
      if (result === "last_admin") return { ok: false, code: "last_admin" };

      await sessions.announceRevokedSessions(result.revokedSessionIds);
      if (result.cutOff) await publish({ kind: "user", userId: id, at: fromTokenSecond(now) });
      return { ok: true, user: result.user };
    },

    async deleteUser(id, actor) {
      const now = clock.now();
      const ended = await persistence.transaction(async (stores) => {
        await stores.userAdmin.lockRoleHolders();
        const user = await stores.users.findUserById(id);
        if (user === undefined) return "not_found" as const;
        if (await isLastEnabledAdmin(stores, user)) return "last_admin" as const;
        return removeAccountIn(stores, user, actor, now);
      });
      if (typeof ended === "string") return ended;
      await announceAccountRemoval(deps, id, ended, now);
      return "deleted";
    },

    async revokeSessions(id, actor) {
      const now = clock.now();
      const revoked = await persistence.transaction(async (stores) => {
        const user = await stores.users.findUserById(id);
        return user === undefined ? undefined : revokeAllSessionsIn(stores, user, actor, now);
      });
      if (revoked === undefined) return false;
      await sessions.announceRevokedSessions(revoked);
      return true;
    },
  };
}

/** The audit fields of who acted: none for the command line. */
function auditedActor(actor: AdminActorOrOperator) {
  return {
    actorId: actor?.userId ?? null,
    ip: actor?.client.ip ?? null,
    userAgent: actor?.client.userAgent ?? null,
  };
}

function sameRoles(current: readonly string[], next: readonly string[]): boolean {
  return current.length === next.length && current.every((role) => next.includes(role));
}
