/** Where a user signed in before: a read of the sessions table for the new-device notice. */
import type { Kysely } from "kysely";
import type { SignInHistoryStore } from "../../domain/persistence.js";
import { compiledQuery } from "./compiled-query.js";
import type { Database } from "./schema.js";

// On every sign-in (compiled-query.ts).
const recentOrigins = compiledQuery((db, userId: string, exceptSessionId: string, limit: number) =>
  db
    .selectFrom("sessions")
    .select(["ip", "user_agent"])
    .where("user_id", "=", userId)
    .where("id", "!=", exceptSessionId)
    .orderBy("created_at", "desc")
    .limit(limit),
);

export function createSignInHistoryRepository(db: Kysely<Database>): SignInHistoryStore {
  return {
    async listRecentSignInOrigins(userId, exceptSessionId, limit) {
      const rows = await recentOrigins(db, userId, exceptSessionId, limit);
      return rows.map((row) => ({ ip: row.ip, userAgent: row.user_agent }));
    },
  };
}
