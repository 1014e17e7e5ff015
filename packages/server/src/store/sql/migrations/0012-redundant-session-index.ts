/**
 * `sessions_user_id` duplicated the first column of `sessions_user_id_created_at` (0002), which
 * serves every lookup of a user's sessions: SQLite's planner never chose it. Each sign-in still
 * paid for it, one more index page written per session (about 6% of a sign-in's commit on SQLite).
 */
import type { Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex("sessions_user_id").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex("sessions_user_id").on("sessions").column("user_id").execute();
}
