/**
 * Cookie sessions (issue 4): a cookie session is a row of `sessions` with transport "cookie".
 * `token_hash` is the SHA-256 of the cookie's random id (the id itself is never stored); unique,
 * so resolving a cookie is one indexed read. `idle_expires_at` is the sliding idle deadline
 * (null: no idle limit, as for token sessions and remember-me cookies).
 */
import type { Kysely } from "kysely";

// Migrations take an untyped database: they must not depend on table types that later migrations change.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("sessions").addColumn("token_hash", "text").execute();
  await db.schema.alterTable("sessions").addColumn("idle_expires_at", "bigint").execute();
  // A unique index, not a column constraint: SQLite cannot add a UNIQUE column; NULLs never collide.
  await db.schema.createIndex("sessions_token_hash").on("sessions").column("token_hash").unique().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex("sessions_token_hash").execute();
  await db.schema.alterTable("sessions").dropColumn("idle_expires_at").execute();
  await db.schema.alterTable("sessions").dropColumn("token_hash").execute();
}
