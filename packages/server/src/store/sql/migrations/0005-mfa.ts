/**
 * MFA (issue 5): TOTP enrolments, backup codes, WebAuthn credentials, and `users.mfa_enabled`.
 *
 * - `mfa_totp`: one row per user; the secret sealed with AES-256-GCM under a key derived from
 *   PORTCULLIS_SECRET (`key_id` names which one); `enabled_at` null while the setup is pending;
 *   `last_used_step` is the last accepted RFC 6238 time step, advanced only by a compare-and-swap,
 *   so a code is accepted once even when two instances check it at the same moment.
 * - `mfa_backup_codes`: SHA-256 of each code; `used_at` set by a compare-and-swap.
 * - `webauthn_credentials`: public keys (COSE, base64url) with their signature counters.
 * - `users.mfa_enabled`: kept in the same transaction as every factor change, so presenting a
 *   user (`GET /v1/me`) needs no extra query.
 */
import type { Kysely } from "kysely";

// Migrations take an untyped database: they must not depend on table types that later migrations change.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable("users")
    .addColumn("mfa_enabled", "integer", (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable("mfa_totp")
    .addColumn("user_id", "text", (c) => c.primaryKey().references("users.id").onDelete("cascade"))
    .addColumn("secret_sealed", "text", (c) => c.notNull())
    .addColumn("key_id", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("enabled_at", "bigint")
    .addColumn("last_used_step", "bigint", (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable("mfa_backup_codes")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("code_hash", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("used_at", "bigint")
    .addUniqueConstraint("mfa_backup_codes_user_id_code_hash", ["user_id", "code_hash"])
    .execute();

  await db.schema
    .createTable("webauthn_credentials")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("credential_id", "text", (c) => c.notNull().unique())
    .addColumn("public_key", "text", (c) => c.notNull())
    .addColumn("counter", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("transports", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("device_type", "text", (c) => c.notNull())
    .addColumn("backed_up", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("aaguid", "text")
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("last_used_at", "bigint")
    .execute();
  await db.schema
    .createIndex("webauthn_credentials_user_id")
    .on("webauthn_credentials")
    .column("user_id")
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ["webauthn_credentials", "mfa_backup_codes", "mfa_totp"]) {
    await db.schema.dropTable(table).execute();
  }
  await db.schema.alterTable("users").dropColumn("mfa_enabled").execute();
}
