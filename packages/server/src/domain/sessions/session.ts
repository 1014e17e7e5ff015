/** A session is one login on one device; refresh tokens belong to it and rotate on every use. */
export type SessionTransport = "token" | "cookie";

export interface Session {
  id: string;
  userId: string;
  transport: SessionTransport;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  revokedAt: number | null;
  ip: string | null;
  userAgent: string | null;
  amr: string[];
  /** Seconds since the epoch, as in the `auth_time` claim. */
  authTime: number;
  rememberMe: boolean;
  /** Cookie sessions: the sliding idle deadline (ms); null when there is none (token sessions, remember-me). */
  idleExpiresAt: number | null;
}

/** A live cookie session as the cookie resolver needs it: the session and its owner's current roles. */
export interface CookieSessionRecord {
  session: Session;
  roles: string[];
  userDisabledAt: number | null;
}

export interface RefreshTokenRecord {
  id: string;
  sessionId: string;
  /** SHA-256 of the token, hex; the token itself is never stored. */
  tokenHash: string;
  createdAt: number;
  expiresAt: number;
  rotatedAt: number | null;
}

export type SessionRevocationReason =
  | "logout"
  | "logout_all"
  | "password_changed"
  | "password_reset"
  | "refresh_token_reused"
  | "revoked"
  /** Verifying the address unlinked identities linked before it (domain/oauth/unproven-identities.ts). */
  | "identities_unlinked";
