/**
 * Webhooks: the endpoints administrators register (their signing secret sealed with a key derived
 * from PORTCULLIS_SECRET), and the durable outbox of deliveries that the act's transaction writes
 * and the worker drains.
 *
 * `webhook_deliveries.webhook_id` has no foreign key on purpose: a delivery is written inside the
 * act that caused it, and a webhook deleted by another instance at that moment must not make the
 * act fail. Deleting a webhook deletes its deliveries; the worker's pruning removes any written in
 * that race.
 */
import type { Kysely } from "kysely";

// Migrations take an untyped database: they must not depend on table types that later migrations change.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("webhooks")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("url", "text", (c) => c.notNull())
    .addColumn("events", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("enabled", "integer", (c) => c.notNull())
    .addColumn("secret_sealed", "text", (c) => c.notNull())
    .addColumn("secret_key_id", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addColumn("failing_since", "bigint")
    .execute();

  await db.schema
    .createTable("webhook_deliveries")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("webhook_id", "text", (c) => c.notNull())
    .addColumn("event_type", "text", (c) => c.notNull())
    .addColumn("payload", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("last_status_code", "integer")
    .addColumn("last_error", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("next_attempt_at", "bigint", (c) => c.notNull())
    .addColumn("give_up_at", "bigint", (c) => c.notNull())
    .addColumn("locked_until", "bigint")
    .addColumn("delivered_at", "bigint")
    .addColumn("finished_at", "bigint")
    .execute();
  // The worker's claim: pending rows in due order.
  await db.schema
    .createIndex("webhook_deliveries_due")
    .on("webhook_deliveries")
    .columns(["status", "next_attempt_at"])
    .execute();
  // The deliveries list of one webhook, newest first.
  await db.schema
    .createIndex("webhook_deliveries_webhook_id_created_at")
    .on("webhook_deliveries")
    .columns(["webhook_id", "created_at"])
    .execute();
  // Pruning of finished deliveries.
  await db.schema
    .createIndex("webhook_deliveries_finished_at")
    .on("webhook_deliveries")
    .column("finished_at")
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("webhook_deliveries").execute();
  await db.schema.dropTable("webhooks").execute();
}
