/** The first schema: users, sessions with their refresh tokens, signing keys, audit events. */
import { type Kysely, PostgresAdapter } from "kysely";

// Migrations take an untyped database: they must not depend on table types that later migrations change.
export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable("users")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("email", "text", (c) => c.notNull().unique())
    .addColumn("email_verified", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("name", "text")
    .addColumn("password_hash", "text")
    .addColumn("roles", "text", (c) => c.notNull().defaultTo('["user"]'))
    .addColumn("disabled_at", "bigint")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("sessions")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("transport", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("last_seen_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("revoked_at", "bigint")
    .addColumn("revoked_reason", "text")
    .addColumn("ip", "text")
    .addColumn("user_agent", "text")
    .addColumn("amr", "text", (c) => c.notNull())
    .addColumn("auth_time", "bigint", (c) => c.notNull())
    .addColumn("remember_me", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex("sessions_user_id").on("sessions").column("user_id").execute();
  await db.schema.createIndex("sessions_revoked_at").on("sessions").column("revoked_at").execute();

  await db.schema
    .createTable("refresh_tokens")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("session_id", "text", (c) => c.notNull().references("sessions.id").onDelete("cascade"))
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("rotated_at", "bigint")
    .execute();
  await db.schema
    .createIndex("refresh_tokens_session_id")
    .on("refresh_tokens")
    .column("session_id")
    .execute();

  await db.schema
    .createTable("signing_keys")
    .addColumn("kid", "text", (c) => c.primaryKey())
    .addColumn("alg", "text", (c) => c.notNull())
    .addColumn("public_jwk", "text")
    .addColumn("private_key_sealed", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("retired_at", "bigint")
    .execute();

  await db.schema
    .createTable("audit_events")
    // The order events were written in: SQLite's INTEGER PRIMARY KEY AUTOINCREMENT, PostgreSQL's bigserial.
    .addColumn("seq", postgres ? "bigserial" : "integer", (c) =>
      postgres ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn("id", "text", (c) => c.notNull().unique())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("user_id", "text")
    .addColumn("actor_id", "text")
    .addColumn("ip", "text")
    .addColumn("user_agent", "text")
    .addColumn("details", "text", (c) => c.notNull().defaultTo("{}"))
    .addColumn("at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("audit_events_user_id_at")
    .on("audit_events")
    .columns(["user_id", "at"])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ["audit_events", "signing_keys", "refresh_tokens", "sessions", "users"]) {
    await db.schema.dropTable(table).execute();
  }
}
