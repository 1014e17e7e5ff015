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

export interface Database {
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
