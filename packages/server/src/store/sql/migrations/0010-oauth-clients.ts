/**
 * The OpenID provider's OAuth clients. A confidential client's secret is stored as its SHA-256
 * only, and a public client has none: the check constraint keeps the two in step, so no row can
 * say "confidential" and let anyone authenticate without a secret. Lists (redirect URIs, grant
 * types, scopes) are JSON text, as elsewhere; `first_party` is 0/1.
 */
import { type Kysely, sql } from "kysely";

// Migrations take an untyped database: they must not depend on table types that later migrations change.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("oauth_clients")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("secret_hash", "text")
    .addColumn("redirect_uris", "text", (c) => c.notNull())
    .addColumn("post_logout_redirect_uris", "text", (c) => c.notNull())
    .addColumn("grant_types", "text", (c) => c.notNull())
    .addColumn("scopes", "text", (c) => c.notNull())
    .addColumn("first_party", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("backchannel_logout_uri", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addCheckConstraint(
      "oauth_clients_type_secret",
      sql`(type = 'confidential' and secret_hash is not null) or (type = 'public' and secret_hash is null)`,
    )
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("oauth_clients").execute();
}
