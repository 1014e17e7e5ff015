/**
 * Mail and account recovery: the durable mail outbox, password-reset and email-verification
 * tokens (hashed), reset requests waiting for the worker, and an index for reading a user's
 * latest sessions. Every row that belongs to a user goes with the user (ON DELETE CASCADE),
 * pending mail included.
 */
import type { Kysely } from "kysely";

// Migrations take an untyped database: they must not depend on table types that later migrations change.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("mail_outbox")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("user_id", "text", (c) => c.references("users.id").onDelete("cascade"))
    .addColumn("recipient", "text", (c) => c.notNull())
    .addColumn("subject", "text", (c) => c.notNull())
    .addColumn("text_body", "text", (c) => c.notNull())
    .addColumn("html_body", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("next_attempt_at", "bigint", (c) => c.notNull())
    .addColumn("locked_until", "bigint")
    .addColumn("last_error", "text")
    .addColumn("failed_at", "bigint")
    .execute();
  await db.schema
    .createIndex("mail_outbox_due")
    .on("mail_outbox")
    .columns(["failed_at", "next_attempt_at"])
    .execute();
  await db.schema.createIndex("mail_outbox_user_id").on("mail_outbox").column("user_id").execute();

  await db.schema
    .createTable("recovery_tokens")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("purpose", "text", (c) => c.notNull())
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("email", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("used_at", "bigint")
    .execute();
  await db.schema
    .createIndex("recovery_tokens_user_id_purpose")
    .on("recovery_tokens")
    .columns(["user_id", "purpose"])
    .execute();
  await db.schema
    .createIndex("recovery_tokens_expires_at")
    .on("recovery_tokens")
    .column("expires_at")
    .execute();

  // The new-device notice reads a user's latest sessions at every login: in index order, not by sorting them all.
  await db.schema
    .createIndex("sessions_user_id_created_at")
    .on("sessions")
    .columns(["user_id", "created_at"])
    .execute();

  await db.schema
    .createTable("password_reset_requests")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("email", "text", (c) => c.notNull())
    .addColumn("ip", "text")
    .addColumn("user_agent", "text")
    .addColumn("requested_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("password_reset_requests_requested_at")
    .on("password_reset_requests")
    .column("requested_at")
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex("sessions_user_id_created_at").execute();
  for (const table of ["password_reset_requests", "recovery_tokens", "mail_outbox"]) {
    await db.schema.dropTable(table).execute();
  }
}
