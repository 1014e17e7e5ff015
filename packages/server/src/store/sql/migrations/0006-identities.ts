/**
 * Social-login identities (issue 6): which account a provider's user (`provider`, `subject`)
 * signs in to. Unique per (provider, subject), so one provider identity can never reach two
 * accounts (ASVS 6.8.1); deleted with their account.
 */
import type { Kysely } from "kysely";

// Migrations take an untyped database: they must not depend on table types that later migrations change.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("identities")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("provider", "text", (c) => c.notNull())
    .addColumn("subject", "text", (c) => c.notNull())
    .addColumn("email", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addUniqueConstraint("identities_provider_subject", ["provider", "subject"])
    .execute();
  await db.schema.createIndex("identities_user_id").on("identities").column("user_id").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("identities").execute();
}
