/** Sessions and their refresh tokens in SQL. */
import type { Kysely, Selectable } from "kysely";
import type { SessionStore } from "../../domain/persistence.js";
import type { Session, SessionTransport } from "../../domain/sessions/session.js";
import type { Database, SessionsTable } from "./schema.js";

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
  };
}

export function createSessionRepository(db: Kysely<Database>): SessionStore {
  return {
    async insertSession(session) {
      await db
        .insertInto("sessions")
        .values({
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
        })
        .execute();
    },
    async findSessionById(id) {
      const row = await db.selectFrom("sessions").selectAll().where("id", "=", id).executeTakeFirst();
      return row === undefined ? undefined : toSession(row);
    },
    async insertRefreshToken(token) {
      await db
        .insertInto("refresh_tokens")
        .values({
          id: token.id,
          session_id: token.sessionId,
          token_hash: token.tokenHash,
          created_at: token.createdAt,
          expires_at: token.expiresAt,
          rotated_at: token.rotatedAt,
        })
        .execute();
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
    async markRefreshTokenRotated(id, at) {
      const result = await db
        .updateTable("refresh_tokens")
        .set({ rotated_at: at })
        .where("id", "=", id)
        .where("rotated_at", "is", null)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },
    async touchSession(id, at) {
      await db.updateTable("sessions").set({ last_seen_at: at }).where("id", "=", id).execute();
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
      const rows = await db
        .selectFrom("sessions")
        .select(["id", "revoked_at"])
        .where("revoked_at", ">", since)
        .execute();
      return rows.map((row) => ({ id: row.id, revokedAt: Number(row.revoked_at) }));
    },
  };
}
