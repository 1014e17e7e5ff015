/** Password-reset and email-verification tokens (hashed) and pending reset requests, in SQL. */
import type { Kysely, Selectable } from "kysely";
import type { RecoveryStore } from "../../domain/persistence.js";
import type { RecoveryToken, RecoveryTokenPurpose } from "../../domain/recovery/recovery-token.js";
import type { Database, RecoveryTokensTable } from "./schema.js";

function toRecoveryToken(row: Selectable<RecoveryTokensTable>): RecoveryToken {
  return {
    id: row.id,
    userId: row.user_id,
    purpose: row.purpose as RecoveryTokenPurpose,
    tokenHash: row.token_hash,
    email: row.email,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    usedAt: row.used_at === null ? null : Number(row.used_at),
  };
}

export function createRecoveryRepository(
  db: Kysely<Database>,
  changed: (userId: string) => void = () => {},
): RecoveryStore {
  return {
    async insertRecoveryToken(token) {
      await db
        .insertInto("recovery_tokens")
        .values({
          id: token.id,
          user_id: token.userId,
          purpose: token.purpose,
          token_hash: token.tokenHash,
          email: token.email,
          created_at: token.createdAt,
          expires_at: token.expiresAt,
          used_at: token.usedAt,
        })
        .execute();
    },
    async findRecoveryTokenByHash(purpose, tokenHash) {
      const row = await db
        .selectFrom("recovery_tokens")
        .selectAll()
        .where("token_hash", "=", tokenHash)
        .where("purpose", "=", purpose)
        .executeTakeFirst();
      return row === undefined ? undefined : toRecoveryToken(row);
    },
    async spendRecoveryToken(id, at) {
      const result = await db
        .updateTable("recovery_tokens")
        .set({ used_at: at })
        .where("id", "=", id)
        .where("used_at", "is", null)
        .where("expires_at", ">", at)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },
    async spendUserRecoveryTokens(userId, purpose, at) {
      const result = await db
        .updateTable("recovery_tokens")
        .set({ used_at: at })
        .where("user_id", "=", userId)
        .where("purpose", "=", purpose)
        .where("used_at", "is", null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    async deleteRecoveryTokensExpiredBefore(before) {
      const result = await db
        .deleteFrom("recovery_tokens")
        .where("expires_at", "<", before)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
    async markEmailVerified(userId, at) {
      await db
        .updateTable("users")
        .set({ email_verified: 1, updated_at: at })
        .where("id", "=", userId)
        .execute();
      changed(userId);
    },
    async insertPasswordResetRequest(request) {
      await db
        .insertInto("password_reset_requests")
        .values({
          id: request.id,
          email: request.email,
          ip: request.ip,
          user_agent: request.userAgent,
          requested_at: request.requestedAt,
        })
        .execute();
    },
    async listPasswordResetRequests(limit) {
      const rows = await db
        .selectFrom("password_reset_requests")
        .selectAll()
        .orderBy("requested_at")
        .orderBy("id")
        .limit(limit)
        .execute();
      return rows.map((row) => ({
        id: row.id,
        email: row.email,
        ip: row.ip,
        userAgent: row.user_agent,
        requestedAt: Number(row.requested_at),
      }));
    },
    async claimPasswordResetRequest(id) {
      const result = await db.deleteFrom("password_reset_requests").where("id", "=", id).executeTakeFirst();
      return result.numDeletedRows === 1n;
    },
  };
}
