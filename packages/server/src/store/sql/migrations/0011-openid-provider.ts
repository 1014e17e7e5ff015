/**
 * The OpenID provider (issue 14). `oidc-provider` keeps its artefacts — sessions, interactions,
 * authorization codes, refresh tokens, grants, pushed requests, DPoP replay marks — as JSON
 * payloads under (model, id); `grant_id` and `uid` are the lookups it asks for (revoke a grant's
 * tokens, find a session by its uid). Access tokens are JWTs and are not stored.
 *
 * Two tables are Portcullis's own:
 * - `oauth_consents`: what a person allowed a client, remembered per client and scope set until
 *   they (or an administrator) revoke it ("Connected apps");
 * - `oidc_grant_sessions`: which Portcullis session a provider grant was made in, so that signing
 *   out, revoking a device or resetting a password ends what that session granted. A client's
 *   access tokens carry the grant id as `sid`; `revoked_at` makes a revoked grant a revoked `sid`
 *   for every instance and resource server, like a revoked session. A row without a user stands
 *   for one client-credentials token (`client:<id>:<jti>`), revoked through RFC 7009. `oidc_sid` is
 *   the provider's `sid` in the client's ID tokens (OpenID Connect Back-Channel Logout 1.0);
 * - `backchannel_logouts`: the durable outbox of logout tokens to clients that registered a
 *   back-channel logout URI, written when a session ends and retried until delivered or a day old,
 *   so a client that is offline at the time loses nothing.
 */
import type { Kysely } from "kysely";

// Migrations take an untyped database: they must not depend on table types that later migrations change.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("oidc_models")
    .addColumn("model", "text", (c) => c.notNull())
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("payload", "text", (c) => c.notNull())
    .addColumn("grant_id", "text")
    .addColumn("uid", "text")
    .addColumn("expires_at", "bigint")
    .addColumn("consumed_at", "bigint")
    .addPrimaryKeyConstraint("oidc_models_pk", ["model", "id"])
    .execute();
  await db.schema.createIndex("oidc_models_grant_id").on("oidc_models").column("grant_id").execute();
  await db.schema.createIndex("oidc_models_uid").on("oidc_models").columns(["model", "uid"]).execute();
  await db.schema.createIndex("oidc_models_expires_at").on("oidc_models").column("expires_at").execute();

  await db.schema
    .createTable("oauth_consents")
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("client_id", "text", (c) => c.notNull())
    .addColumn("scopes", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("oauth_consents_pk", ["user_id", "client_id"])
    .execute();
  await db.schema.createIndex("oauth_consents_client_id").on("oauth_consents").column("client_id").execute();

  await db.schema
    .createTable("oidc_grant_sessions")
    .addColumn("grant_id", "text", (c) => c.primaryKey())
    .addColumn("session_id", "text")
    .addColumn("user_id", "text", (c) => c.references("users.id").onDelete("cascade"))
    .addColumn("client_id", "text", (c) => c.notNull())
    .addColumn("amr", "text", (c) => c.notNull())
    .addColumn("auth_time", "bigint", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("revoked_at", "bigint")
    .addColumn("oidc_sid", "text")
    .execute();
  await db.schema
    .createIndex("oidc_grant_sessions_revoked_at")
    .on("oidc_grant_sessions")
    .column("revoked_at")
    .execute();
  await db.schema
    .createIndex("oidc_grant_sessions_session_id")
    .on("oidc_grant_sessions")
    .column("session_id")
    .execute();
  await db.schema
    .createIndex("oidc_grant_sessions_user_client")
    .on("oidc_grant_sessions")
    .columns(["user_id", "client_id"])
    .execute();
  await db.schema
    .createIndex("oidc_grant_sessions_client_id")
    .on("oidc_grant_sessions")
    .column("client_id")
    .execute();

  await db.schema
    .createTable("backchannel_logouts")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("client_id", "text", (c) => c.notNull())
    .addColumn("subject", "text", (c) => c.notNull())
    .addColumn("oidc_sid", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull())
    .addColumn("last_status_code", "integer")
    .addColumn("next_attempt_at", "bigint", (c) => c.notNull())
    .addColumn("claimed_until", "bigint")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("delivered_at", "bigint")
    .execute();
  await db.schema
    .createIndex("backchannel_logouts_due")
    .on("backchannel_logouts")
    .columns(["status", "next_attempt_at"])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("backchannel_logouts").execute();
  await db.schema.dropTable("oidc_grant_sessions").execute();
  await db.schema.dropTable("oauth_consents").execute();
  await db.schema.dropTable("oidc_models").execute();
}
