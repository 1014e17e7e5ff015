/**
 * The ports the domain needs from durable storage, named after use cases. `src/store/sql`
 * implements them for SQLite and PostgreSQL. Work that must be atomic runs inside
 * `transaction`, which hands the same ports bound to one transaction.
 */
import type { AuditEvent } from "./audit/audit-event.js";
import type { RefreshTokenRecord, Session, SessionRevocationReason } from "./sessions/session.js";
import type { StoredSigningKey } from "./tokens/signing-key.js";
import type { User, UserWithPassword } from "./users/user.js";

export interface UserStore {
  findUserById(id: string): Promise<User | undefined>;
  findUserWithPasswordById(id: string): Promise<UserWithPassword | undefined>;
  findUserWithPasswordByEmail(email: string): Promise<UserWithPassword | undefined>;
  /** `email_taken` when the unique email constraint refuses it. */
  insertUser(user: UserWithPassword): Promise<"inserted" | "email_taken">;
  updateUserName(id: string, name: string | null, at: number): Promise<void>;
  updatePasswordHash(id: string, passwordHash: string, at: number): Promise<void>;
  setUserRoles(id: string, roles: string[], at: number): Promise<void>;
  /** Users disabled after `since`, for the revocation set at start. */
  listUsersDisabledSince(since: number): Promise<{ id: string; disabledAt: number }[]>;
}

export interface SessionStore {
  insertSession(session: Session): Promise<void>;
  findSessionById(id: string): Promise<Session | undefined>;
  insertRefreshToken(token: RefreshTokenRecord): Promise<void>;
  findRefreshTokenByHash(
    tokenHash: string,
  ): Promise<{ token: RefreshTokenRecord; session: Session } | undefined>;
  /** Compare-and-swap: true only for the one caller that marked a live token rotated. */
  markRefreshTokenRotated(id: string, at: number): Promise<boolean>;
  touchSession(id: string, at: number): Promise<void>;
  /** True when this call revoked it (it was live). */
  revokeSession(id: string, at: number, reason: SessionRevocationReason): Promise<boolean>;
  /** Revokes every live session of the user but `exceptSessionId`; returns the ids it revoked. */
  revokeUserSessions(
    userId: string,
    at: number,
    reason: SessionRevocationReason,
    exceptSessionId?: string,
  ): Promise<string[]>;
  /** Sessions revoked after `since`, for the revocation set at start. */
  listSessionsRevokedSince(since: number): Promise<{ id: string; revokedAt: number }[]>;
}

export interface SigningKeyStore {
  listSigningKeys(): Promise<StoredSigningKey[]>;
  insertSigningKey(key: StoredSigningKey): Promise<void>;
  /** Marks every current key but `exceptKid` as retired at `at`. */
  retireSigningKeys(exceptKid: string, at: number): Promise<void>;
  deleteSigningKeysRetiredBefore(before: number): Promise<number>;
}

export interface AuditStore {
  appendAuditEvent(event: AuditEvent): Promise<void>;
}

export interface Stores {
  users: UserStore;
  sessions: SessionStore;
  signingKeys: SigningKeyStore;
  audit: AuditStore;
}

export interface Persistence extends Stores {
  transaction<T>(work: (stores: Stores) => Promise<T>): Promise<T>;
  /** Answers when the database is reachable; for readiness checks. */
  ping(): Promise<boolean>;
}
