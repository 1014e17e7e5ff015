/**
 * The ports the domain needs from durable storage, named after use cases. `src/store/sql`
 * implements them for SQLite and PostgreSQL. Work that must be atomic runs inside
 * `transaction`, which hands the same ports bound to one transaction.
 */
import type { ApiKey } from "./api-keys/api-key.js";
import type { AuditEvent, AuditEventType } from "./audit/audit-event.js";
import type { AuditRecord } from "./audit/audit-record.js";
import type { OutboxMail } from "./mail/mail-message.js";
import type { MfaStore } from "./mfa/mfa-store.js";
import type { Identity } from "./oauth/identity.js";
import type { OAuthClientStore } from "./oauth-clients/oauth-client.js";
import type { PasswordResetRequest, RecoveryToken, RecoveryTokenPurpose } from "./recovery/recovery-token.js";
import type {
  CookieSessionRecord,
  RefreshTokenRecord,
  Session,
  SessionRevocationReason,
} from "./sessions/session.js";
import type { StoredSigningKey } from "./tokens/signing-key.js";
import type { User, UserWithPassword } from "./users/user.js";
import type { WebAuthnCredentialStore } from "./webauthn/webauthn-credential.js";
import type { WebhookStore } from "./webhooks/webhook.js";

export interface UserStore {
  findUserById(id: string): Promise<User | undefined>;
  findUserWithPasswordById(id: string): Promise<UserWithPassword | undefined>;
  findUserWithPasswordByEmail(email: string): Promise<UserWithPassword | undefined>;
  /** `email_taken` when the unique email constraint refuses it. */
  insertUser(user: UserWithPassword): Promise<"inserted" | "email_taken">;
  updateUserName(id: string, name: string | null, at: number): Promise<void>;
  updatePasswordHash(id: string, passwordHash: string, at: number): Promise<void>;
  setUserRoles(id: string, roles: string[], at: number): Promise<void>;
  /**
   * An email change: the new address, verified (the link reached it). `email_taken` when the
   * unique email constraint refuses it; the caller's transaction must then roll back.
   */
  changeUserEmail(id: string, email: string, at: number): Promise<"changed" | "email_taken">;
  /** Users disabled after `since`, for the revocation set at start. */
  listUsersDisabledSince(since: number): Promise<{ id: string; disabledAt: number }[]>;
}

/** The refresh token a rotation issues in place of the presented one. */
export interface SuccessorRefreshToken {
  id: string;
  tokenHash: string;
}

/** A rotation that happened: the session (last seen at the rotation) and its user. */
export interface RotatedRefreshToken {
  session: Session;
  user: User;
}

export interface SessionStore {
  /**
   * The refresh hot path, atomically: marks the unrotated, unexpired token `presentedHash` rotated
   * (compare-and-swap: of concurrent callers exactly one gets a result), if its session is live and
   * its user enabled; inserts `successor` for the same session and lifetime; touches the session.
   * Undefined when nothing matched: the caller finds out why (unknown, reused, ended) apart.
   */
  rotateLiveRefreshToken(
    presentedHash: string,
    successor: SuccessorRefreshToken,
    at: number,
  ): Promise<RotatedRefreshToken | undefined>;
  insertSession(session: Session): Promise<void>;
  findSessionById(id: string): Promise<Session | undefined>;
  insertRefreshToken(token: RefreshTokenRecord): Promise<void>;
  findRefreshTokenByHash(
    tokenHash: string,
  ): Promise<{ token: RefreshTokenRecord; session: Session } | undefined>;
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
  /** Opens a cookie session; only the SHA-256 of its cookie is stored. */
  insertCookieSession(session: Session, tokenHash: string): Promise<void>;
  /** The cookie hot path: one indexed read (session joined to its user), live or not. */
  findCookieSessionByTokenHash(tokenHash: string): Promise<CookieSessionRecord | undefined>;
  /** Sliding renewal of a cookie session: last seen now, idle deadline moved on. */
  slideCookieSession(id: string, at: number, idleExpiresAt: number | null): Promise<void>;
  /** The device list: the user's sessions neither revoked nor expired (absolute or idle) at `now`. */
  listLiveUserSessions(userId: string, now: number): Promise<Session[]>;
  /** Step-up: the session was authenticated again at `authTime` (seconds). */
  renewSessionAuthentication(id: string, authTime: number, at: number): Promise<void>;
  /** Marks every unrotated refresh token of the session rotated (a successor is about to be issued). */
  rotateSessionRefreshTokens(sessionId: string, at: number): Promise<void>;
  /** Gives a cookie session a new cookie secret (privilege change); the old cookie stops working. */
  replaceCookieTokenHash(id: string, tokenHash: string): Promise<void>;
}

export interface SigningKeyStore {
  /**
   * Serialises the creation of the first key until the transaction ends, so instances starting
   * together on an empty database agree on one: a transaction-scoped advisory lock on PostgreSQL;
   * SQLite runs one write transaction at a time anyway.
   */
  lockSigningKeys(): Promise<void>;
  listSigningKeys(): Promise<StoredSigningKey[]>;
  insertSigningKey(key: StoredSigningKey): Promise<void>;
  /** Marks every current key but `exceptKid` as retired at `at`. */
  retireSigningKeys(exceptKid: string, at: number): Promise<void>;
  deleteSigningKeysRetiredBefore(before: number): Promise<number>;
}

export interface AuditStore {
  /**
   * Appends to the hash chain: reads the newest event's hash and writes this one after it. Appends
   * must be serialised; see the repository for how each database does it.
   */
  appendAuditEvent(event: AuditEvent): Promise<void>;
  /** The events whose subject is the user, by time, newest first. */
  listUserAuditEvents(userId: string, limit: number): Promise<AuditRecord[]>;
  /** In write order, newest first; `before` is a position from an earlier page. */
  listAuditEvents(filter: {
    userId?: string;
    type?: string;
    before?: number;
    limit: number;
  }): Promise<AuditRecord[]>;
  /** Events of these types written at or after `since`, oldest first. */
  listAuditEventsOfTypesSince(types: AuditEventType[], since: number): Promise<AuditRecord[]>;
  /** How many events of each of these types were written at or after `since` (absent types: none). */
  countAuditEventsOfTypesSince(
    types: AuditEventType[],
    since: number,
  ): Promise<Partial<Record<string, number>>>;
  /** The chain in write order: up to `limit` events after `afterPosition`. */
  readAuditChain(afterPosition: number, limit: number): Promise<AuditRecord[]>;
  findLatestAuditEventOfType(type: AuditEventType): Promise<AuditRecord | undefined>;
  /** The newest event that, like every event before it, was written before `cutoff`. */
  findAuditPruneBoundary(cutoff: number): Promise<AuditRecord | undefined>;
  countAuditEventsThrough(position: number): Promise<number>;
  deleteAuditEventsThrough(position: number): Promise<number>;
}

export interface ApiKeyStore {
  /** `prefix_taken` when the unique prefix constraint refuses it. */
  insertApiKey(key: ApiKey): Promise<"inserted" | "prefix_taken">;
  findApiKeyByPrefix(prefix: string): Promise<ApiKey | undefined>;
  findApiKeyOfUser(userId: string, id: string): Promise<ApiKey | undefined>;
  /** The user's keys that are not revoked, newest first. */
  listLiveApiKeysOfUser(userId: string): Promise<ApiKey[]>;
  /** True when this call revoked it (it was live). */
  revokeApiKey(id: string, at: number): Promise<boolean>;
  /** Batched `lastUsedAt` updates; a time never moves backwards. */
  recordApiKeysLastUsed(uses: { id: string; at: number }[]): Promise<void>;
}

/** Opaque position in the administrators' user listing: creation time, then id. */
export interface UserListPosition {
  createdAt: number;
  id: string;
}

export interface UserAdminStore {
  /** Users in creation order after `after`; `text` matches email or name, case-insensitively. */
  searchUsers(query: { text: string | null; after: UserListPosition | null; limit: number }): Promise<User[]>;
  /** How many users there are (the console's overview). */
  countUsers(): Promise<number>;
  setUserDisabled(id: string, disabledAt: number | null, at: number): Promise<void>;
  /** Deletes the user and, by cascade, everything they own. True when there was such a user. */
  deleteUser(id: string): Promise<boolean>;
  /**
   * Serialises acts that could leave no enabled user with a role (self-deletion of an
   * administrator) until the transaction ends: a transaction-scoped advisory lock on PostgreSQL;
   * SQLite runs one write transaction at a time anyway.
   */
  lockRoleHolders(): Promise<void>;
  /** Whether an enabled user other than `exceptUserId` holds `role`. */
  hasOtherEnabledUserWithRole(role: string, exceptUserId: string): Promise<boolean>;
}

/** Password-reset and email-verification tokens (stored hashed), and pending reset requests. */
export interface RecoveryStore {
  insertRecoveryToken(token: RecoveryToken): Promise<void>;
  findRecoveryTokenByHash(
    purpose: RecoveryTokenPurpose,
    tokenHash: string,
  ): Promise<RecoveryToken | undefined>;
  /** Compare-and-swap: true only for the one caller that spent a live token. */
  spendRecoveryToken(id: string, at: number): Promise<boolean>;
  /** Spends every live token of the user for `purpose`, so older links die; returns how many. */
  spendUserRecoveryTokens(userId: string, purpose: RecoveryTokenPurpose, at: number): Promise<number>;
  deleteRecoveryTokensExpiredBefore(before: number): Promise<number>;
  markEmailVerified(userId: string, at: number): Promise<void>;
  insertPasswordResetRequest(request: PasswordResetRequest): Promise<void>;
  /** Oldest first. */
  listPasswordResetRequests(limit: number): Promise<PasswordResetRequest[]>;
  /** Deletes it; true only for the one caller that did (so one worker handles each request). */
  claimPasswordResetRequest(id: string): Promise<boolean>;
}

/** The durable outbox the mail worker drains. */
export interface MailOutboxStore {
  enqueueMail(mail: OutboxMail): Promise<void>;
  /**
   * Leases up to `limit` messages due at `now` (not failed, not leased by another worker) until
   * `leaseUntil`, oldest due first; each message is leased to one caller only.
   */
  claimDueMail(now: number, leaseUntil: number, limit: number): Promise<OutboxMail[]>;
  /** Delivered: the message (which may hold a link with a token) is deleted. */
  deleteDeliveredMail(id: string): Promise<void>;
  scheduleMailRetry(id: string, attempts: number, nextAttemptAt: number, error: string): Promise<void>;
  /** Given up: kept for the operator with its error, its bodies (and any link) wiped. */
  markMailFailed(id: string, attempts: number, at: number, error: string): Promise<void>;
}

/** Where a user signed in before, for the "new sign-in from a new device" notice. */
export interface SignInHistoryStore {
  /** The user's most recent sessions but `exceptSessionId`, newest first. */
  listRecentSignInOrigins(
    userId: string,
    exceptSessionId: string,
    limit: number,
  ): Promise<{ ip: string | null; userAgent: string | null }[]>;
}

/** Social-login identities linked to accounts (issue 6). */
export interface IdentityStore {
  findIdentityByProviderSubject(provider: string, subject: string): Promise<Identity | undefined>;
  /** `identity_taken` when (provider, subject) is already linked; the caller's transaction must then roll back. */
  insertIdentity(identity: Identity): Promise<"inserted" | "identity_taken">;
  /** Oldest first. */
  listIdentitiesOfUser(userId: string): Promise<Identity[]>;
  findIdentityOfUser(userId: string, id: string): Promise<Identity | undefined>;
  /** True when this call deleted it. */
  deleteIdentityOfUser(userId: string, id: string): Promise<boolean>;
  /**
   * Serialises changes to the user's ways of signing in until the transaction ends (a row lock
   * on PostgreSQL; SQLite writers are serialised anyway), so two concurrent unlinks cannot both
   * see "another way is left" and remove the last two.
   */
  lockSignInMethodsOfUser(userId: string): Promise<void>;
}

export interface Stores {
  users: UserStore;
  sessions: SessionStore;
  signingKeys: SigningKeyStore;
  audit: AuditStore;
  apiKeys: ApiKeyStore;
  userAdmin: UserAdminStore;
  recovery: RecoveryStore;
  mailOutbox: MailOutboxStore;
  signIns: SignInHistoryStore;
  identities: IdentityStore;
  /** TOTP, backup codes and the `mfa_enabled` flag (issue 5; ports in mfa/mfa-store.ts). */
  mfa: MfaStore;
  /** Passkeys (issue 5; port in webauthn/webauthn-credential.ts). */
  webauthn: WebAuthnCredentialStore;
  /** Webhooks and their delivery outbox (port in webhooks/webhook.ts). */
  webhooks: WebhookStore;
  /** The OpenID provider's OAuth clients (port in oauth-clients/oauth-client.ts). */
  oauthClients: OAuthClientStore;
}

export interface Persistence extends Stores {
  transaction<T>(work: (stores: Stores) => Promise<T>): Promise<T>;
  /** Answers when the database is reachable; for readiness checks. */
  ping(): Promise<boolean>;
}
