/** Sessions and their refresh tokens in SQL. */
import { type Kysely, PostgresAdapter, type Selectable, sql } from "kysely";
import type { RotatedRefreshToken, SessionStore, SuccessorRefreshToken } from "../../domain/persistence.js";
import type { Session, SessionTransport } from "../../domain/sessions/session.js";
import { compiledInsert } from "./compiled-query.js";
import { preparedTag } from "./prepared-statements.js";
import type { Database, SessionsTable, UsersTable } from "./schema.js";
import type { RotateRefreshToken } from "./sqlite-rotation-batch.js";
import { toUser, withoutPassword } from "./user-repository.js";

function toSession(row: Selectable<SessionsTable>): Session {
  return {
    id: row.id,
    userId: row.user_id,
    transport: row.transport as SessionTransport,
    createdAt: Number(row.created_at),
    lastSeenAt: Number(row.last_seen_at),
    expiresAt: Number(row.expires_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    ip: row.ip,
    userAgent: row.user_agent,
    amr: JSON.parse(row.amr) as string[],
    authTime: Number(row.auth_time),
    rememberMe: row.remember_me === 1,
    idleExpiresAt: row.idle_expires_at === null ? null : Number(row.idle_expires_at),
  };
}

function sessionValues(session: Session) {
  return {
    id: session.id,
    user_id: session.userId,
    transport: session.transport,
    created_at: session.createdAt,
    last_seen_at: session.lastSeenAt,
    expires_at: session.expiresAt,
    revoked_at: session.revokedAt,
    revoked_reason: null,
    ip: session.ip,
    user_agent: session.userAgent,
    amr: JSON.stringify(session.amr),
    auth_time: session.authTime,
    remember_me: session.rememberMe ? 1 : 0,
    idle_expires_at: session.idleExpiresAt,
  };
}

/** Named columns, not `sessions.*`: a prepared statement's result must not change with the table. */
const SESSION_COLUMNS = Object.keys({
  id: true,
  user_id: true,
  transport: true,
  created_at: true,
  last_seen_at: true,
  expires_at: true,
  revoked_at: true,
  revoked_reason: true,
  ip: true,
  user_agent: true,
  amr: true,
  auth_time: true,
  remember_me: true,
  token_hash: true,
  idle_expires_at: true,
} satisfies Record<keyof SessionsTable, true>);
const ROTATE_STATEMENT = preparedTag("rotate-refresh-token");

// On every sign-in (compiled-query.ts); the columns of `sessionValues`.
const SESSION_VALUE_COLUMNS = [
  "id",
  "user_id",
  "transport",
  "created_at",
  "last_seen_at",
  "expires_at",
  "revoked_at",
  "revoked_reason",
  "ip",
  "user_agent",
  "amr",
  "auth_time",
  "remember_me",
  "idle_expires_at",
] as const;
const insertSession = compiledInsert("sessions", SESSION_VALUE_COLUMNS);
const insertCookieSession = compiledInsert("sessions", [...SESSION_VALUE_COLUMNS, "token_hash"]);
const insertRefreshToken = compiledInsert("refresh_tokens", [
  "id",
  "session_id",
  "token_hash",
  "created_at",
  "expires_at",
  "rotated_at",
]);

/**
 * PostgreSQL: the rotation as one statement, so one round trip, prepared once per connection.
 * The compare-and-swap is the `where` of the first update (of concurrent callers, the row lock
 * lets exactly one match: the others re-check `rotated_at is null` after it commits and match
 * nothing); the successor and the session's last-seen time are written from its result, and the
 * session comes back with its user (without the password hash).
 */
async function rotateInOneStatement(
  db: Kysely<Database>,
  presentedHash: string,
  successor: SuccessorRefreshToken,
  at: number,
): Promise<RotatedRefreshToken | undefined> {
  const { rows } = await sql<
    Selectable<SessionsTable> & { user_row: Selectable<UsersTable> }
  >`${sql.raw(ROTATE_STATEMENT)}
    with claimed as (
      update refresh_tokens set rotated_at = ${at}::bigint
      where token_hash = ${presentedHash} and rotated_at is null and expires_at > ${at}::bigint
        and exists (
          select 1 from sessions s join users u on u.id = s.user_id
          where s.id = refresh_tokens.session_id and s.revoked_at is null
            and s.expires_at > ${at}::bigint and u.disabled_at is null)
      returning session_id, expires_at
    ), successor as (
      insert into refresh_tokens (id, session_id, token_hash, created_at, expires_at)
      select ${successor.id}::text, session_id, ${successor.tokenHash}::text, ${at}::bigint, expires_at
      from claimed
    ), touched as (
      update sessions set last_seen_at = ${at}::bigint from claimed
      where sessions.id = claimed.session_id
      returning ${sql.raw(SESSION_COLUMNS.map((column) => `sessions.${column}`).join(", "))}
    )
    select touched.*, to_jsonb(users) - 'password_hash' as user_row
    from touched join users on users.id = touched.user_id`.execute(db);
  const row = rows[0];
  if (row === undefined) return undefined;
  const { user_row, ...session } = row;
  return { session: toSession(session), user: withoutPassword(toUser({ ...user_row, password_hash: null })) };
}

/**
 * @param sqliteRotation SQLite: how this repository's rotations run (sqlite-rotation-batch.ts:
 *   in a group commit, or within the caller's transaction); PostgreSQL needs none.
 */
export function createSessionRepository(
  db: Kysely<Database>,
  sqliteRotation?: RotateRefreshToken,
): SessionStore {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  return {
    async rotateLiveRefreshToken(presentedHash, successor, at) {
      if (postgres) return rotateInOneStatement(db, presentedHash, successor, at);
      if (sqliteRotation === undefined)
        throw new Error(
          "SQLite rotations run on the connection itself: build the stores with createSqlPersistence",
        );
      const rows = await sqliteRotation(presentedHash, successor, at);
      return rows === undefined
        ? undefined
        : { session: toSession(rows.session), user: withoutPassword(toUser(rows.user)) };
    },
    async insertSession(session) {
      await insertSession(db, sessionValues(session));
    },
    async findSessionById(id) {
      const row = await db.selectFrom("sessions").selectAll().where("id", "=", id).executeTakeFirst();
      return row === undefined ? undefined : toSession(row);
    },
    async insertRefreshToken(token) {
      await insertRefreshToken(db, {
        id: token.id,
        session_id: token.sessionId,
        token_hash: token.tokenHash,
        created_at: token.createdAt,
        expires_at: token.expiresAt,
        rotated_at: token.rotatedAt,
      });
    },
    async findRefreshTokenByHash(tokenHash) {
      const token = await db
        .selectFrom("refresh_tokens")
        .selectAll()
        .where("token_hash", "=", tokenHash)
        .executeTakeFirst();
      if (token === undefined) return undefined;
      const session = await db
        .selectFrom("sessions")
        .selectAll()
        .where("id", "=", token.session_id)
        .executeTakeFirst();
      if (session === undefined) return undefined;
      return {
        token: {
          id: token.id,
          sessionId: token.session_id,
          tokenHash: token.token_hash,
          createdAt: Number(token.created_at),
          expiresAt: Number(token.expires_at),
          rotatedAt: token.rotated_at === null ? null : Number(token.rotated_at),
        },
        session: toSession(session),
      };
    },
    async revokeSession(id, at, reason) {
      const result = await db
        .updateTable("sessions")
        .set({ revoked_at: at, revoked_reason: reason })
        .where("id", "=", id)
        .where("revoked_at", "is", null)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },
    async revokeUserSessions(userId, at, reason, exceptSessionId) {
      let query = db
        .updateTable("sessions")
        .set({ revoked_at: at, revoked_reason: reason })
        .where("user_id", "=", userId)
        .where("revoked_at", "is", null)
        .where("expires_at", ">", at);
      if (exceptSessionId !== undefined) query = query.where("id", "!=", exceptSessionId);
      const rows = await query.returning("id").execute();
      return rows.map((row) => row.id);
    },
    async listSessionsRevokedSince(since) {
      // A grant of the OpenID provider is the `sid` of the access tokens its client holds: revoked
      // grants are revoked sessions to every verifier (store/sql/oauth-grant-repository.ts).
      const rows = await db
        .selectFrom("sessions")
        .select(["id", "revoked_at"])
        .where("revoked_at", ">", since)
        .unionAll(
          db
            .selectFrom("oidc_grant_sessions")
            .select(["grant_id as id", "revoked_at"])
            .where("revoked_at", ">", since),
        )
        .execute();
      return rows.map((row) => ({ id: row.id, revokedAt: Number(row.revoked_at) }));
    },
    async insertCookieSession(session, tokenHash) {
      await insertCookieSession(db, { ...sessionValues(session), token_hash: tokenHash });
    },
    async findCookieSessionByTokenHash(tokenHash) {
      const row = await db
        .selectFrom("sessions")
        .innerJoin("users", "users.id", "sessions.user_id")
        .selectAll("sessions")
        .select(["users.roles as user_roles", "users.disabled_at as user_disabled_at"])
        .where("sessions.token_hash", "=", tokenHash)
        .where("sessions.transport", "=", "cookie")
        .executeTakeFirst();
      if (row === undefined) return undefined;
      const { user_roles, user_disabled_at, ...session } = row;
      return {
        session: toSession(session),
        roles: JSON.parse(user_roles) as string[],
        userDisabledAt: user_disabled_at === null ? null : Number(user_disabled_at),
      };
    },
    async listLiveUserSessions(userId, now) {
      const rows = await db
        .selectFrom("sessions")
        .selectAll()
        .where("user_id", "=", userId)
        .where("revoked_at", "is", null)
        .where("expires_at", ">", now)
        .where((eb) => eb.or([eb("idle_expires_at", "is", null), eb("idle_expires_at", ">", now)]))
        .orderBy("last_seen_at", "desc")
        .orderBy("id")
        .execute();
      return rows.map(toSession);
    },
    async renewSessionAuthentication(id, authTime, at) {
      await db
        .updateTable("sessions")
        .set({ auth_time: authTime, last_seen_at: at })
        .where("id", "=", id)
        .execute();
    },
    async rotateSessionRefreshTokens(sessionId, at) {
      await db
        .updateTable("refresh_tokens")
        .set({ rotated_at: at })
        .where("session_id", "=", sessionId)
        .where("rotated_at", "is", null)
        .execute();
    },
    async replaceCookieTokenHash(id, tokenHash) {
      await db.updateTable("sessions").set({ token_hash: tokenHash }).where("id", "=", id).execute();
    },
    async slideCookieSession(id, at, idleExpiresAt) {
      await db
        .updateTable("sessions")
        .set({ last_seen_at: at, idle_expires_at: idleExpiresAt })
        .where("id", "=", id)
        .execute();
    },
  };
}
