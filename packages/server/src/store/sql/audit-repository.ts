/** The audit log in SQL: append-only. */
import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { AuditStore } from "../../domain/persistence.js";
import type { Database } from "./schema.js";

export function createAuditRepository(db: Kysely<Database>): AuditStore {
  return {
    async appendAuditEvent(event) {
      await db
        .insertInto("audit_events")
        .values({
          id: randomUUID(),
          type: event.type,
          user_id: event.userId,
          actor_id: event.actorId,
          ip: event.ip,
          user_agent: event.userAgent,
          details: JSON.stringify(event.details),
          at: event.at,
        })
        .execute();
    },
  };
}
