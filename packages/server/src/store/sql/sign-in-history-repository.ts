/** Where a user signed in before: a read of the sessions table for the new-device notice. */
import type { Kysely } from "kysely";
import type { SignInHistoryStore } from "../../domain/persistence.js";
import type { Database } from "./schema.js";

export function createSignInHistoryRepository(db: Kysely<Database>): SignInHistoryStore {
  return {
    async listRecentSignInOrigins(userId, exceptSessionId, limit) {
      const rows = await db
        .selectFrom("sessions")
        .select(["ip", "user_agent"])
        .where("user_id", "=", userId)
        .where("id", "!=", exceptSessionId)
        .orderBy("created_at", "desc")
        .limit(limit)
        .execute();
      return rows.map((row) => ({ ip: row.ip, userAgent: row.user_agent }));
    },
  };
}
