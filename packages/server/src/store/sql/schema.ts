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
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  signing_keys: SigningKeysTable;
  audit_events: AuditEventsTable;
}
