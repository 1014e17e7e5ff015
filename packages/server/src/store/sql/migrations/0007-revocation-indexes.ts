/**
 * Every instance reads recent revocations at start, every 30 seconds, and every 500 ms while the
 * revocation bus is down; disabled users were the one part of that read without an index
 * (revoked sessions and audit events by time have theirs).
 */
import type { Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex("users_disabled_at").on("users").column("disabled_at").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex("users_disabled_at").execute();
}
