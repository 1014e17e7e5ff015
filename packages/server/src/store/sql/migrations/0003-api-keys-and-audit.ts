/**
 * API keys, and the audit log as a hash chain: `prev_hash` and `hash` on every event (existing
 * events are chained here, in write order), plus the indexes the audit listings, retention
 * pruning and the administrators' user listing need.
 */
import { type Kysely, sql } from "kysely";
import { GENESIS_HASH, hashAuditEvent } from "../../../domain/audit/audit-chain.js";

interface ExistingEvent {
  seq: number | string;
  id: string;
  type: string;
  user_id: string | null;
  actor_id: string | null;
  ip: string | null;
  user_agent: string | null;
  details: string;
  at: number | string;
}

const BACKFILL_PAGE = 1000;

// Migrations take an untyped database: they must not depend on table types that later migrations change.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("api_keys")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("prefix", "text", (c) => c.notNull().unique())
    .addColumn("key_hash", "text", (c) => c.notNull())
    .addColumn("scopes", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint")
    .addColumn("last_used_at", "bigint")
    .addColumn("revoked_at", "bigint")
    .execute();
  await db.schema.createIndex("api_keys_user_id").on("api_keys").column("user_id").execute();

  await db.schema
    .alterTable("audit_events")
    .addColumn("prev_hash", "text", (c) => c.notNull().defaultTo(""))
    .execute();
  await db.schema
    .alterTable("audit_events")
    .addColumn("hash", "text", (c) => c.notNull().defaultTo(""))
    .execute();
  await chainExistingEvents(db);

  await db.schema
    .createIndex("audit_events_user_id_seq")
    .on("audit_events")
    .columns(["user_id", "seq"])
    .execute();
  await db.schema.createIndex("audit_events_type_seq").on("audit_events").columns(["type", "seq"]).execute();
  await db.schema.createIndex("audit_events_at").on("audit_events").column("at").execute();
  await db.schema.createIndex("users_created_at_id").on("users").columns(["created_at", "id"]).execute();
}

async function chainExistingEvents(db: Kysely<unknown>): Promise<void> {
  let prevHash = GENESIS_HASH;
  let after = 0;
  for (;;) {
    const { rows } = await sql<ExistingEvent>`
      select seq, id, type, user_id, actor_id, ip, user_agent, details, at
      from audit_events where seq > ${after} order by seq limit ${BACKFILL_PAGE}`.execute(db);
    if (rows.length === 0) return;
    for (const row of rows) {
      const hash = hashAuditEvent(prevHash, {
        id: row.id,
        type: row.type,
        userId: row.user_id,
        actorId: row.actor_id,
        ip: row.ip,
        userAgent: row.user_agent,
        details: row.details,
        at: Number(row.at),
      });
      await sql`update audit_events set prev_hash = ${prevHash}, hash = ${hash} where seq = ${row.seq}`.execute(
        db,
      );
      prevHash = hash;
      after = Number(row.seq);
    }
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex("users_created_at_id").execute();
  for (const index of ["audit_events_at", "audit_events_type_seq", "audit_events_user_id_seq"]) {
    await db.schema.dropIndex(index).execute();
  }
  await db.schema.alterTable("audit_events").dropColumn("hash").execute();
  await db.schema.alterTable("audit_events").dropColumn("prev_hash").execute();
  await db.schema.dropTable("api_keys").execute();
}
