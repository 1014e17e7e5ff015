/**
 * Table types for Kysely. Both dialects store times as integer milliseconds since the epoch
 * (`bigint`), booleans as 0/1 integers and lists as JSON text, so one code path serves
 * SQLite and PostgreSQL.
 */
import type { Generated } from "kysely";

export interface UsersTable {
  id: string;
  email: string;
  email_verified: number;
  name: string | null;
  password_hash: string | null;
  roles: string;
  disabled_at: number | null;
  created_at: number;
  updated_at: number;
  /** Migration 0005: 1 while the user has an enabled TOTP or a passkey; kept with every factor change. */
  mfa_enabled: Generated<number>;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  transport: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  revoked_at: number | null;
  revoked_reason: string | null;
  ip: string | null;
  user_agent: string | null;
  amr: string;
  auth_time: number;
  remember_me: number;
  /** SHA-256 of a cookie session's id (hex); null for token sessions. */
  token_hash: string | null;
  idle_expires_at: number | null;
}

export interface RefreshTokensTable {
  id: string;
  session_id: string;
  token_hash: string;
  created_at: number;
  expires_at: number;
  rotated_at: number | null;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: string | null;
  private_key_sealed: string;
  created_at: number;
  retired_at: number | null;
}

export interface AuditEventsTable {
  seq: Generated<number>;
  id: string;
  type: string;
  user_id: string | null;
  actor_id: string | null;
  ip: string | null;
  user_agent: string | null;
  details: string;
  at: number;
  /** The hash chain (migration 0003): the previous event's hash, and this event's. */
  prev_hash: string;
  hash: string;
}

export interface ApiKeysTable {
  id: string;
  user_id: string;
  name: string;
  prefix: string;
  key_hash: string;
  scopes: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

/** Migration 0002: the durable mail outbox. */
export interface MailOutboxTable {
  id: string;
  kind: string;
  user_id: string | null;
  recipient: string;
  subject: string;
  text_body: string;
  html_body: string;
  created_at: number;
  attempts: number;
  next_attempt_at: number;
  locked_until: number | null;
  last_error: string | null;
  failed_at: number | null;
}

/** Migration 0002: password-reset and email-verification tokens, by SHA-256. */
export interface RecoveryTokensTable {
  id: string;
  user_id: string;
  purpose: string;
  token_hash: string;
  email: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** Migration 0002: forgot-password requests waiting for the worker. */
export interface PasswordResetRequestsTable {
  id: string;
  email: string;
  ip: string | null;
  user_agent: string | null;
  requested_at: number;
}

/** Migration 0006: social-login identities, unique per (provider, subject). */
export interface IdentitiesTable {
  id: string;
  user_id: string;
  provider: string;
  subject: string;
  email: string | null;
  created_at: number;
  /** Migration 0008: 1 when the account's address was unverified at link time. */
  linked_while_unverified: number;
}

/** Migration 0005: one TOTP enrolment per user; `enabled_at` null while the setup is pending. */
export interface MfaTotpTable {
  user_id: string;
  /** AES-256-GCM under the key `key_id` names (domain/mfa/totp-secret-box.ts). */
  secret_sealed: string;
  key_id: string;
  created_at: number;
  enabled_at: number | null;
  /** The last accepted RFC 6238 time step; only a compare-and-swap moves it forward. */
  last_used_step: number;
}

/** Migration 0005: backup codes, by SHA-256. */
export interface MfaBackupCodesTable {
  id: string;
  user_id: string;
  code_hash: string;
  created_at: number;
  used_at: number | null;
}

/** Migration 0005: WebAuthn credentials (passkeys). */
export interface WebAuthnCredentialsTable {
  id: string;
  user_id: string;
  /** The authenticator's credential id, base64url; unique. */
  credential_id: string;
  /** COSE public key, base64url. */
  public_key: string;
  counter: number;
  /** JSON list of transports. */
  transports: string;
  device_type: string;
  backed_up: number;
  aaguid: string | null;
  name: string;
  created_at: number;
  last_used_at: number | null;
}

/** Migration 0011: `oidc-provider`'s artefacts, as JSON under (model, id). */
export interface OidcModelsTable {
  model: string;
  id: string;
  payload: string;
  grant_id: string | null;
  uid: string | null;
  expires_at: number | null;
  consumed_at: number | null;
}

/** Migration 0011: what a person allowed a client (space-separated scopes). */
export interface OAuthConsentsTable {
  user_id: string;
  client_id: string;
  scopes: string;
  created_at: number;
  updated_at: number;
}

/** Migration 0011: the Portcullis session a provider grant was made in. */
export interface OidcGrantSessionsTable {
  grant_id: string;
  /** Null for a client's client-credentials row (`client:<id>`). */
  session_id: string | null;
  user_id: string | null;
  client_id: string;
  /** JSON list of authentication methods. */
  amr: string;
  /** Seconds since the epoch. */
  auth_time: number;
  created_at: number;
  revoked_at: number | null;
  /** The provider's `sid` in the client's ID tokens, once a token was issued. */
  oidc_sid: string | null;
}

/** Migration 0011: logout tokens waiting for a client's back-channel logout URI. */
export interface BackchannelLogoutsTable {
  id: string;
  client_id: string;
  subject: string;
  oidc_sid: string | null;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  last_status_code: number | null;
  next_attempt_at: number;
  /** A worker holds the row until then (several instances share the outbox). */
  claimed_until: number | null;
  created_at: number;
  delivered_at: number | null;
}

/** Migration 0010: the OpenID provider's OAuth clients; only the SHA-256 of a secret (null for public clients). */
export interface OAuthClientsTable {
  id: string;
  name: string;
  type: string;
  secret_hash: string | null;
  /** JSON lists. */
  redirect_uris: string;
  post_logout_redirect_uris: string;
  grant_types: string;
  scopes: string;
  first_party: number;
  backchannel_logout_uri: string | null;
  created_at: number;
  updated_at: number;
}

/** Migration 0009: endpoints that hear of audit events; the secret sealed (domain/webhooks/webhook-secret.ts). */
export interface WebhooksTable {
  id: string;
  url: string;
  /** JSON list of event types, or ["*"]. */
  events: string;
  description: string | null;
  enabled: number;
  secret_sealed: string;
  secret_key_id: string;
  created_at: number;
  updated_at: number;
  failing_since: number | null;
}

/** Migration 0009: the webhook outbox, one row per (event, webhook). */
export interface WebhookDeliveriesTable {
  id: string;
  webhook_id: string;
  event_type: string;
  payload: string;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  next_attempt_at: number;
  give_up_at: number;
  locked_until: number | null;
  delivered_at: number | null;
  finished_at: number | null;
}

export interface Database {
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  oauth_clients: OAuthClientsTable;
  oidc_models: OidcModelsTable;
  oauth_consents: OAuthConsentsTable;
  oidc_grant_sessions: OidcGrantSessionsTable;
  backchannel_logouts: BackchannelLogoutsTable;
  mail_outbox: MailOutboxTable;
  recovery_tokens: RecoveryTokensTable;
  password_reset_requests: PasswordResetRequestsTable;
  users: UsersTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  signing_keys: SigningKeysTable;
  audit_events: AuditEventsTable;
  api_keys: ApiKeysTable;
  mfa_totp: MfaTotpTable;
  mfa_backup_codes: MfaBackupCodesTable;
  webauthn_credentials: WebAuthnCredentialsTable;
  identities: IdentitiesTable;
}
