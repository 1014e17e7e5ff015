/**
 * The outbox of back-channel logouts (OpenID Connect Back-Channel Logout 1.0): one row per
 * client to tell that a person's session there ended. Rows are leased by one worker at a time
 * (several instances share the table) and kept, delivered or failed, for the record.
 */
import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

export interface BackchannelLogout {
  id: string;
  clientId: string;
  subject: string;
  oidcSid: string | null;
  attempts: number;
  createdAt: number;
}

export interface BackchannelLogoutRepository {
  enqueue(
    logouts: readonly { clientId: string; subject: string; oidcSid: string | null }[],
    at: number,
  ): Promise<void>;
  /** Leases up to `limit` due rows until `leaseUntil`; each is returned to one caller only. */
  claimDue(now: number, leaseUntil: number, limit: number): Promise<BackchannelLogout[]>;
  markDelivered(id: string, statusCode: number, at: number): Promise<void>;
  scheduleRetry(
    id: string,
    attempts: number,
    statusCode: number | null,
    nextAttemptAt: number,
  ): Promise<void>;
  markFailed(id: string, attempts: number, statusCode: number | null): Promise<void>;
}

export function createBackchannelLogoutRepository(db: Kysely<Database>): BackchannelLogoutRepository {
  return {
    async enqueue(logouts, at) {
      if (logouts.length === 0) return;
      await db
        .insertInto("backchannel_logouts")
        .values(
          logouts.map((logout) => ({
            id: randomUUID(),
            client_id: logout.clientId,
            subject: logout.subject,
            oidc_sid: logout.oidcSid,
            status: "pending" as const,
            attempts: 0,
            last_status_code: null,
            next_attempt_at: at,
            claimed_until: null,
            created_at: at,
            delivered_at: null,
          })),
        )
        .execute();
    },
    async claimDue(now, leaseUntil, limit) {
      const due = await db
        .selectFrom("backchannel_logouts")
        .selectAll()
        .where("status", "=", "pending")
        .where("next_attempt_at", "<=", now)
        .where((eb) => eb.or([eb("claimed_until", "is", null), eb("claimed_until", "<=", now)]))
        .orderBy("next_attempt_at")
        .limit(limit)
        .execute();
      const claimed: BackchannelLogout[] = [];
      for (const row of due) {
        const result = await db
          .updateTable("backchannel_logouts")
          .set({ claimed_until: leaseUntil })
          .where("id", "=", row.id)
          .where("status", "=", "pending")
          .where((eb) => eb.or([eb("claimed_until", "is", null), eb("claimed_until", "<=", now)]))
          .executeTakeFirst();
        if (result.numUpdatedRows === 1n)
          claimed.push({
            id: row.id,
            clientId: row.client_id,
            subject: row.subject,
            oidcSid: row.oidc_sid,
            attempts: Number(row.attempts),
            createdAt: Number(row.created_at),
          });
      }
      return claimed;
    },
    async markDelivered(id, statusCode, at) {
      await db
        .updateTable("backchannel_logouts")
        .set((eb) => ({
          status: "delivered",
          attempts: eb("attempts", "+", 1),
          last_status_code: statusCode,
          delivered_at: at,
          claimed_until: null,
        }))
        .where("id", "=", id)
        .execute();
    },
    async scheduleRetry(id, attempts, statusCode, nextAttemptAt) {
      await db
        .updateTable("backchannel_logouts")
        .set({ attempts, last_status_code: statusCode, next_attempt_at: nextAttemptAt, claimed_until: null })
        .where("id", "=", id)
        .execute();
    },
    async markFailed(id, attempts, statusCode) {
      await db
        .updateTable("backchannel_logouts")
        .set({ status: "failed", attempts, last_status_code: statusCode, claimed_until: null })
        .where("id", "=", id)
        .execute();
    },
  };
}
