/**
 * The audit log in SQL: append-only, and a hash chain (see domain/audit/audit-chain.ts). Each
 * append reads the newest event's hash and writes the new event after it, inside a transaction:
 * the caller's, so the event commits or rolls back with the act it records, or its own.
 *
 * Appends must be serialised, or two of them would follow the same event and fork the chain.
 * On SQLite the one connection runs one transaction at a time (Kysely queues the others), and a
 * second process (the CLI) is refused by SQLite's write lock rather than forking. On PostgreSQL,
 * where many instances write at once, every append first takes a transaction-scoped advisory lock
 * and holds it to commit, so the next append reads a head that has been committed.
 */
import { randomUUID } from "node:crypto";
import { type Kysely, PostgresAdapter, type Selectable, sql } from "kysely";
import { GENESIS_HASH, hashAuditEvent } from "../../domain/audit/audit-chain.js";
import type { AuditEvent } from "../../domain/audit/audit-event.js";
import type { AuditRecord } from "../../domain/audit/audit-record.js";
import type { AuditStore } from "../../domain/persistence.js";
import { compiledInsert, compiledQuery } from "./compiled-query.js";
import type { AuditEventsTable, Database } from "./schema.js";

function toRecord(row: Selectable<AuditEventsTable>): AuditRecord {
  return {
    position: Number(row.seq),
    id: row.id,
    type: row.type,
    userId: row.user_id,
    actorId: row.actor_id,
    ip: row.ip,
    userAgent: row.user_agent,
    details: row.details,
    at: Number(row.at),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** The advisory lock key of the audit chain: any constant of our own ("PCAUDIT" in ASCII). */
const AUDIT_CHAIN_LOCK = 0x50434155444954n;

// Every sign-in and most other acts append an event (compiled-query.ts).
const chainHead = compiledQuery((db) =>
  db.selectFrom("audit_events").select("hash").orderBy("seq", "desc").limit(1),
);
const insertEvent = compiledInsert("audit_events", [
  "id",
  "type",
  "user_id",
  "actor_id",
  "ip",
  "user_agent",
  "details",
  "at",
  "prev_hash",
  "hash",
]);

async function appendInTransaction(trx: Kysely<Database>, event: AuditEvent): Promise<void> {
  if (trx.getExecutor().adapter instanceof PostgresAdapter)
    await sql`select pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK.toString()}::bigint)`.execute(trx);
  const [head] = await chainHead(trx);
  const prevHash = head?.hash ?? GENESIS_HASH;
  const fields = {
    id: randomUUID(),
    type: event.type,
    userId: event.userId,
    actorId: event.actorId,
    ip: event.ip,
    userAgent: event.userAgent,
    details: JSON.stringify(event.details),
    at: event.at,
  };
  await insertEvent(trx, {
    id: fields.id,
    type: fields.type,
    user_id: fields.userId,
    actor_id: fields.actorId,
    ip: fields.ip,
    user_agent: fields.userAgent,
    details: fields.details,
    at: fields.at,
    prev_hash: prevHash,
    hash: hashAuditEvent(prevHash, fields),
  });
}

export function createAuditRepository(db: Kysely<Database>): AuditStore {
  return {
    async appendAuditEvent(event) {
      if (db.isTransaction) await appendInTransaction(db, event);
      else await db.transaction().execute((trx) => appendInTransaction(trx, event));
    },

    async listUserAuditEvents(userId, limit) {
      // By time: events are appended in commit order, which may differ by a few milliseconds.
      const rows = await db
        .selectFrom("audit_events")
        .selectAll()
        .where("user_id", "=", userId)
        .orderBy("at", "desc")
        .orderBy("seq", "desc")
        .limit(limit)
        .execute();
      return rows.map(toRecord);
    },

    async listAuditEvents(filter) {
      let query = db.selectFrom("audit_events").selectAll();
      if (filter.userId !== undefined) query = query.where("user_id", "=", filter.userId);
      if (filter.type !== undefined) query = query.where("type", "=", filter.type);
      if (filter.before !== undefined) query = query.where("seq", "<", filter.before);
      const rows = await query.orderBy("seq", "desc").limit(filter.limit).execute();
      return rows.map(toRecord);
    },

    async listAuditEventsOfTypesSince(types, since) {
      if (types.length === 0) return [];
      const rows = await db
        .selectFrom("audit_events")
        .selectAll()
        .where("type", "in", types)
        .where("at", ">=", since)
        .orderBy("seq", "asc")
        .execute();
      return rows.map(toRecord);
    },

    async countAuditEventsOfTypesSince(types, since) {
      const counts: Partial<Record<string, number>> = {};
      if (types.length === 0) return counts;
      const rows = await db
        .selectFrom("audit_events")
        .select((eb) => ["type", eb.fn.countAll().as("count")])
        .where("type", "in", types)
        .where("at", ">=", since)
        .groupBy("type")
        .execute();
      // PostgreSQL counts in bigint, which the driver hands over as a string.
      for (const row of rows) counts[row.type] = Number(row.count);
      return counts;
    },

    async readAuditChain(afterPosition, limit) {
      const rows = await db
        .selectFrom("audit_events")
        .selectAll()
        .where("seq", ">", afterPosition)
        .orderBy("seq", "asc")
        .limit(limit)
        .execute();
      return rows.map(toRecord);
    },

    async findLatestAuditEventOfType(type) {
      const row = await db
        .selectFrom("audit_events")
        .selectAll()
        .where("type", "=", type)
        .orderBy("seq", "desc")
        .limit(1)
        .executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    },

    async findAuditPruneBoundary(cutoff) {
      // Only a prefix of the log may go, or the chain would have a hole: stop before the first
      // event that is still within the retention period, however old the ones after it are.
      const firstKept = await db
        .selectFrom("audit_events")
        .select((eb) => eb.fn.min("seq").as("seq"))
        .where("at", ">=", cutoff)
        .executeTakeFirst();
      let query = db.selectFrom("audit_events").selectAll();
      if (firstKept?.seq !== null && firstKept?.seq !== undefined) {
        query = query.where("seq", "<", Number(firstKept.seq));
      }
      const row = await query.orderBy("seq", "desc").limit(1).executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    },

    async countAuditEventsThrough(position) {
      const row = await db
        .selectFrom("audit_events")
        .select((eb) => eb.fn.countAll().as("count"))
        .where("seq", "<=", position)
        .executeTakeFirst();
      return Number(row?.count ?? 0);
    },

    async deleteAuditEventsThrough(position) {
      const result = await db.deleteFrom("audit_events").where("seq", "<=", position).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
