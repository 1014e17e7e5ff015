/**
 * Sessions, refresh-token rotation and revocation.
 *
 * One login is one session row. Token sessions carry an opaque 256-bit refresh token, stored
 * only as its SHA-256, rotated on every use inside a transaction with a compare-and-swap, so of
 * two concurrent refreshes exactly one wins. Presenting a token that was already rotated is
 * theft or a replay: the whole session is revoked and the event recorded (RFC 9700 §4.14.2,
 * RFC 6749 §10.4). Revocations are written to SQL first, then applied to this instance's
 * revocation set and published on the bus, so access tokens stop working at once. An optional
 * grace window (refresh-grace.ts, off by default) instead hands concurrent refreshes with one
 * token, within a few seconds of its rotation, the same successor.
 *
 * Cookie sessions (issue 4) are rows of the same table: the cookie carries 256 random bits, of
 * which only the SHA-256 is stored; each request resolves it with one indexed read that checks
 * revocation, absolute and idle expiry in SQL (so revocation stops a cookie at once), and slides
 * the idle deadline at most once a minute.
 *
 * Scopes fail closed (API.md "Scopes fail closed"): every access token carries in `scope` what
 * its user's roles grant (`PORTCULLIS_ROLE_SCOPES`), derived from the roles it carries when it is
 * issued — at sign-in, at a refresh (the roles the user holds then: removing a role revokes the
 * sessions, adding one reaches the next refresh) and at step-up. A cookie carries no claims: it
 * gets the scopes of its owner's current roles on every request.
 */
import { createHash, randomBytes } from "node:crypto";
import type { ClientContext } from "../audit/audit-event.js";
import { type RoleScopes, sessionScope } from "../authz/scopes.js";
import { createExpiringCache } from "../cache/expiring-cache.js";
import { type Clock, toSeconds } from "../clock.js";
import type { Persistence, Stores } from "../persistence.js";
import type { AccessTokenClaims, AccessTokenIssuer, AccessTokenVerifier } from "../tokens/access-token.js";
import type { User } from "../users/user.js";
import { type ClientBinding, matchesBoundClient, NO_CLIENT_BINDING } from "./client-binding.js";
import type { RefreshGrace } from "./refresh-grace.js";
import type { RevocationBus, RevocationEvent, RevocationSet } from "./revocation.js";
import type {
  CookieSessionRecord,
  RefreshTokenRecord,
  Session,
  SessionRevocationReason,
  SessionTransport,
} from "./session.js";

export interface TokenGrant {
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
  session: Session;
}

/** A cookie session just opened; `cookieValue` is the secret the cookie carries (only its hash is stored). */
export interface CookieGrant {
  cookieValue: string;
  /** Seconds until the absolute expiry. */
  expiresIn: number;
  session: Session;
}

/** The caller behind a session cookie: the session, its owner's current roles and what they grant. */
export interface CookieAuthentication {
  session: Session;
  roles: string[];
  /** The scopes `roles` grant (`PORTCULLIS_ROLE_SCOPES`), space-separated; empty for none. */
  scope: string;
}

/** A session whose authentication was just renewed (step-up), with its new credentials. */
export type RenewedSession = { user: User; grant: TokenGrant } | { user: User; cookie: CookieGrant };

export type RefreshOutcome =
  | { ok: true; grant: TokenGrant; user: User }
  | { ok: false; code: "invalid_refresh_token" | "refresh_token_reused" };

export interface SessionServiceDeps {
  persistence: Persistence;
  clock: Clock;
  issuer: AccessTokenIssuer;
  verifier: AccessTokenVerifier;
  revocations: RevocationSet;
  bus: RevocationBus;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  rememberMeTtlSeconds: number;
  /** Cookie sessions without remember-me end after this long without a request (sliding). */
  sessionIdleTimeoutSeconds: number;
  /** How long a resolved cookie session may be reused without reading SQL; 5 s by default, 0 turns it off. */
  cookieCacheTtlMs?: number;
  /** Cookie sessions kept at most (PORTCULLIS_CACHE_ENTRIES); 10 000 by default. */
  cookieCacheEntries?: number;
  /** PORTCULLIS_SESSION_BINDING; off when absent. */
  clientBinding?: ClientBinding;
  /** PORTCULLIS_ROLE_SCOPES: what each role grants a session. */
  roleScopes: RoleScopes;
  /** PORTCULLIS_REFRESH_GRACE: absent (off), every refresh but the first with one token is reuse. */
  refreshGrace?: RefreshGrace | undefined;
}

export interface StartSessionInput {
  user: User;
  amr: string[];
  rememberMe: boolean;
  client: ClientContext;
}

export interface SessionService {
  /** Opens a token session inside the caller's transaction (the login's). */
  startTokenSession(stores: Stores, input: StartSessionInput): Promise<TokenGrant>;
  /** Opens a cookie session inside the caller's transaction, always under a new random id (fixation). */
  startCookieSession(stores: Stores, input: StartSessionInput): Promise<CookieGrant>;
  /**
   * Resolves a session cookie: one indexed read by hash, then revocation, absolute and idle
   * expiry and the owner's status; slides the idle deadline at most once a minute.
   */
  authenticateSessionCookie(
    cookieValue: string,
    client?: ClientContext,
  ): Promise<CookieAuthentication | null>;
  /**
   * Step-up: sets the session's `auth_time` to now and hands out new credentials carrying it —
   * a new access and refresh token (the old refresh token counts as rotated) or a new cookie
   * secret. Null when the session is not the user's, or not live.
   */
  renewAuthentication(userId: string, sessionId: string): Promise<RenewedSession | null>;
  /** The device list: the user's live sessions of both transports, most recently seen first. */
  listSessions(userId: string): Promise<Session[]>;
  refresh(refreshToken: string, client: ClientContext): Promise<RefreshOutcome>;
  /** Revokes one session of `userId`; false when it is not theirs or not live. */
  revokeSession(
    userId: string,
    sessionId: string,
    reason: SessionRevocationReason,
    client: ClientContext,
  ): Promise<boolean>;
  /** Revokes every session of the user, or every other one when `exceptSessionId` is given. */
  revokeUserSessions(
    userId: string,
    reason: SessionRevocationReason,
    client: ClientContext,
    exceptSessionId?: string,
  ): Promise<string[]>;
  /** Revokes inside the caller's transaction; call `announceRevokedSessions` after it commits. */
  revokeUserSessionsIn(
    stores: Stores,
    userId: string,
    reason: SessionRevocationReason,
    client: ClientContext,
    exceptSessionId?: string,
  ): Promise<string[]>;
  announceRevokedSessions(sessionIds: string[]): Promise<void>;
  /**
   * The hot path: the verified-token cache or the signature, then in-memory revocation lookups; no
   * I/O. A token not in the cache answers once its signature is checked off the event loop.
   */
  authenticateAccessToken(token: string): AccessTokenClaims | null | Promise<AccessTokenClaims | null>;
}

const REFRESH_TOKEN_BYTES = 32;
/** 256 bits; OWASP asks for at least 64 bits of entropy, the issue for 128. */
const SESSION_COOKIE_BYTES = 32;
const COOKIE_CACHE_ENTRIES = 10_000;
const COOKIE_CACHE_TTL_MS = 5_000;
/** Sliding renewal writes at most this often per session, not on every request. */
const SLIDE_INTERVAL_MS = 60_000;

export function hashOpaqueToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export function createSessionService(deps: SessionServiceDeps): SessionService {
  const { persistence, clock, issuer, verifier, revocations, bus } = deps;
  const binding = deps.clientBinding ?? NO_CLIENT_BINDING;
  const bindingEnabled = binding.userAgent || binding.address;

  /**
   * Cookie sessions resolved recently, by the SHA-256 of their cookie, so a request costs no I/O.
   * Safe because every use still checks the revocation set (which hears of revocations at once)
   * and the expiry times; a cached copy can only lag in what revokes nothing (an added role, a
   * slide of the idle deadline elsewhere — re-read before refusing), for at most the TTL. Used only
   * while the bus is connected: without it, invalidations from other instances would not arrive.
   */
  const cookieCache = createExpiringCache<string, CookieSessionRecord>({
    maxEntries: deps.cookieCacheEntries ?? COOKIE_CACHE_ENTRIES,
    ttlMs: deps.cookieCacheTtlMs ?? COOKIE_CACHE_TTL_MS,
    clock,
  });
  function forgetCachedCookies(event: RevocationEvent) {
    if (event.kind === "user" || event.kind === "user_changed")
      cookieCache.deleteWhere((found) => found.session.userId === event.userId);
    else cookieCache.deleteWhere((found) => found.session.id === event.sessionId);
  }
  bus.subscribe(forgetCachedCookies);
  bus.onConnectionChange(() => cookieCache.clear());
  const cachedCookie = (tokenHash: string) => (bus.connected ? cookieCache.get(tokenHash) : undefined);

  function newOpaqueToken(bytes = REFRESH_TOKEN_BYTES): string {
    return randomBytes(bytes).toString("base64url");
  }

  async function insertRefreshToken(stores: Stores, session: Session, now: number): Promise<string> {
    const token = newOpaqueToken();
    await stores.sessions.insertRefreshToken({
      id: randomBytes(16).toString("base64url"),
      sessionId: session.id,
      tokenHash: hashOpaqueToken(token),
      createdAt: now,
      expiresAt: session.expiresAt,
      rotatedAt: null,
    });
    return token;
  }

  function grantFor(user: User, session: Session, refreshToken: string, now: number): TokenGrant {
    const access = issuer.issue({
      userId: user.id,
      sessionId: session.id,
      roles: user.roles,
      amr: session.amr,
      authTime: session.authTime,
      scope: sessionScope(deps.roleScopes, user.roles),
    });
    return {
      accessToken: access.token,
      expiresIn: access.expiresIn,
      refreshToken,
      refreshExpiresIn: Math.max(0, toSeconds(session.expiresAt - now)),
      session,
    };
  }

  async function announceRevokedSessions(sessionIds: string[]): Promise<void> {
    const at = clock.now();
    for (const sessionId of sessionIds) {
      const event = { kind: "session", sessionId, at } as const;
      revocations.apply(event);
      await bus.publish(event);
    }
  }

  async function recordRevocations(
    stores: Stores,
    userId: string,
    sessionIds: string[],
    reason: SessionRevocationReason,
    client: ClientContext,
    at: number,
  ): Promise<void> {
    for (const sessionId of sessionIds) {
      await stores.audit.appendAuditEvent({
        type: "session.revoked",
        userId,
        actorId: userId,
        ip: client.ip,
        userAgent: client.userAgent,
        details: { sessionId, reason },
        at,
      });
    }
  }

  async function revokeUserSessionsIn(
    stores: Stores,
    userId: string,
    reason: SessionRevocationReason,
    client: ClientContext,
    exceptSessionId?: string,
  ): Promise<string[]> {
    const now = clock.now();
    const ids = await stores.sessions.revokeUserSessions(userId, now, reason, exceptSessionId);
    await recordRevocations(stores, userId, ids, reason, client, now);
    return ids;
  }

  async function revokeForReuse(stores: Stores, session: Session, client: ClientContext, now: number) {
    const revoked = await stores.sessions.revokeSession(session.id, now, "refresh_token_reused");
    await stores.audit.appendAuditEvent({
      type: "refresh_token.reused",
      userId: session.userId,
      actorId: null,
      ip: client.ip,
      userAgent: client.userAgent,
      details: { sessionId: session.id, sessionRevoked: revoked },
      at: now,
    });
    return { ok: false, code: "refresh_token_reused", revokedSessionId: session.id } as const;
  }

  /**
   * The grace window: a token rotated within `windowMs` by a concurrent refresh gets the same
   * successor, if that successor is still this session's live, unrotated token (a chain that has
   * moved on, or a window that has passed, is reuse as always).
   */
  async function successorWithinGrace(
    stores: Stores,
    found: { token: RefreshTokenRecord; session: Session },
    presented: string,
    client: ClientContext,
    now: number,
  ) {
    const grace = deps.refreshGrace;
    if (grace === undefined || now - (found.token.rotatedAt ?? now) > grace.windowMs) return undefined;
    // Agreed on (successorFor) before anyone rotated, so it is there once the rotation is visible.
    const successor = await grace.recall(presented);
    if (successor === undefined) return undefined;
    const next = await stores.sessions.findRefreshTokenByHash(hashOpaqueToken(successor));
    if (next === undefined || next.token.sessionId !== found.session.id || next.token.rotatedAt !== null)
      return undefined;
    const { session } = next;
    if (session.revokedAt !== null || session.expiresAt <= now || next.token.expiresAt <= now)
      return undefined;
    if (!matchesBoundClient(binding, session, client)) return undefined;
    const user = await stores.users.findUserById(session.userId);
    if (user === undefined || user.disabledAt !== null) return undefined;
    return { ok: true, user, session, successor, now } as const;
  }

  async function reuseOrGrace(
    stores: Stores,
    found: { token: RefreshTokenRecord; session: Session },
    presented: string,
    client: ClientContext,
    now: number,
  ) {
    return (
      (await successorWithinGrace(stores, found, presented, client, now)) ??
      revokeForReuse(stores, found.session, client, now)
    );
  }

  /**
   * The successor this rotation issues. With a grace window, every concurrent refresh with one
   * token agrees on the same one before any of them rotates, so whichever wins, the others can
   * hand out what it issued.
   */
  async function successorFor(presented: string): Promise<string> {
    const candidate = newOpaqueToken();
    return deps.refreshGrace === undefined ? candidate : deps.refreshGrace.agree(presented, candidate);
  }

  /** Why a presented token did not rotate: unknown or ended (refused), or rotated before (reuse or grace). */
  async function explainRefusal(stores: Stores, presented: string, client: ClientContext, now: number) {
    const found = await stores.sessions.findRefreshTokenByHash(hashOpaqueToken(presented));
    // RFC 9700 §4.14.2: a token rotated before is theft or a replay, unless within the grace window.
    if (found?.token.rotatedAt != null) return reuseOrGrace(stores, found, presented, client, now);
    return { ok: false, code: "invalid_refresh_token" } as const;
  }

  /**
   * Refresh, as named steps: (client binding) → agree on the successor → rotate (one statement
   * with the compare-and-swap in it) → or explain the refusal. The hot path is one round trip.
   */
  async function rotateRefreshToken(presented: string, client: ClientContext) {
    const now = clock.now();
    const presentedHash = hashOpaqueToken(presented);
    if (bindingEnabled) {
      const found = await persistence.sessions.findRefreshTokenByHash(presentedHash);
      // Refused, not revoked: whoever holds the token from the right client may still use it. A
      // session's client never changes, so reading it before the rotation races with nothing.
      if (found?.token.rotatedAt === null && !matchesBoundClient(binding, found.session, client))
        return { ok: false, code: "invalid_refresh_token" } as const;
    }
    const successor = await successorFor(presented);
    const rotated = await persistence.sessions.rotateLiveRefreshToken(
      presentedHash,
      { id: randomBytes(16).toString("base64url"), tokenHash: hashOpaqueToken(successor) },
      now,
    );
    if (rotated !== undefined) return { ok: true, ...rotated, successor, now } as const;
    return persistence.transaction((stores) => explainRefusal(stores, presented, client, now));
  }

  /** One login's session row: absolute lifetime from rememberMe; cookie sessions also idle out. */
  function newSession(input: StartSessionInput, transport: SessionTransport, now: number): Session {
    const ttlSeconds = input.rememberMe ? deps.rememberMeTtlSeconds : deps.refreshTokenTtlSeconds;
    const expiresAt = now + ttlSeconds * 1000;
    return {
      id: randomBytes(16).toString("base64url"),
      userId: input.user.id,
      transport,
      createdAt: now,
      lastSeenAt: now,
      expiresAt,
      revokedAt: null,
      ip: input.client.ip,
      userAgent: input.client.userAgent,
      amr: input.amr,
      authTime: toSeconds(now),
      rememberMe: input.rememberMe,
      // Remember-me asks to stay signed in: only the absolute lifetime applies. Tokens rotate instead.
      idleExpiresAt:
        transport === "token" || input.rememberMe
          ? null
          : Math.min(expiresAt, now + deps.sessionIdleTimeoutSeconds * 1000),
    };
  }

  /** A verified token's claims, unless its session or user was revoked after it was issued. */
  function unlessRevoked(claims: AccessTokenClaims | null): AccessTokenClaims | null {
    if (claims === null || revocations.isRevoked(claims.sid, claims.sub, claims.iat)) return null;
    return claims;
  }

  return {
    async startTokenSession(stores, input) {
      const now = clock.now();
      const session = newSession(input, "token", now);
      await stores.sessions.insertSession(session);
      const refreshToken = await insertRefreshToken(stores, session, now);
      return grantFor(input.user, session, refreshToken, now);
    },

    async startCookieSession(stores, input) {
      const now = clock.now();
      const session = newSession(input, "cookie", now);
      const ttlSeconds = toSeconds(session.expiresAt - now);
      const cookieValue = newOpaqueToken(SESSION_COOKIE_BYTES);
      await stores.sessions.insertCookieSession(session, hashOpaqueToken(cookieValue));
      return { cookieValue, expiresIn: ttlSeconds, session };
    },

    async authenticateSessionCookie(cookieValue, client) {
      const tokenHash = hashOpaqueToken(cookieValue);
      const now = clock.now();
      let found = cachedCookie(tokenHash);
      // Another instance may have slid the idle deadline since this copy was cached: ask SQL before refusing.
      if (found?.session.idleExpiresAt != null && found.session.idleExpiresAt <= now) found = undefined;
      if (found === undefined) {
        const version = cookieCache.version;
        found = await persistence.sessions.findCookieSessionByTokenHash(tokenHash);
        if (found === undefined) return null;
        if (bus.connected) cookieCache.setIfUnchanged(tokenHash, found, version);
      }
      if (found.userDisabledAt !== null) return null;
      const { session } = found;
      if (session.revokedAt !== null || session.expiresAt <= now) return null;
      if (session.idleExpiresAt !== null && session.idleExpiresAt <= now) return null;
      if (client !== undefined && !matchesBoundClient(binding, session, client)) return null;
      // Revocations reach this set at once, cached copy or not; a deleted user's sessions were opened before their `user` entry.
      if (revocations.isRevoked(session.id, session.userId, toSeconds(session.createdAt))) return null;
      if (now - session.lastSeenAt >= SLIDE_INTERVAL_MS) {
        const idleExpiresAt =
          session.idleExpiresAt === null
            ? null
            : Math.min(session.expiresAt, now + deps.sessionIdleTimeoutSeconds * 1000);
        await persistence.sessions.slideCookieSession(session.id, now, idleExpiresAt);
        const slid = { ...session, lastSeenAt: now, idleExpiresAt };
        if (bus.connected) cookieCache.set(tokenHash, { ...found, session: slid });
        return { session: slid, roles: found.roles, scope: sessionScope(deps.roleScopes, found.roles) };
      }
      return { session, roles: found.roles, scope: sessionScope(deps.roleScopes, found.roles) };
    },

    async renewAuthentication(userId, sessionId) {
      const now = clock.now();
      const renewed = await persistence.transaction(async (stores): Promise<RenewedSession | null> => {
        const found = await stores.sessions.findSessionById(sessionId);
        if (found === undefined || found.userId !== userId || found.revokedAt !== null) return null;
        if (found.expiresAt <= now || (found.idleExpiresAt !== null && found.idleExpiresAt <= now))
          return null;
        const user = await stores.users.findUserById(userId);
        if (user === undefined || user.disabledAt !== null) return null;
        const session: Session = { ...found, authTime: toSeconds(now), lastSeenAt: now };
        await stores.sessions.renewSessionAuthentication(session.id, session.authTime, now);
        if (session.transport === "cookie") {
          const cookieValue = newOpaqueToken(SESSION_COOKIE_BYTES);
          await stores.sessions.replaceCookieTokenHash(session.id, hashOpaqueToken(cookieValue));
          const expiresIn = Math.max(0, toSeconds(session.expiresAt - now));
          return { user, cookie: { cookieValue, expiresIn, session } };
        }
        await stores.sessions.rotateSessionRefreshTokens(session.id, now);
        const successor = await insertRefreshToken(stores, session, now);
        return { user, grant: grantFor(user, session, successor, now) };
      });
      // The old cookie secret is gone from SQL; copies cached here or on other instances must go too.
      if (renewed !== null && "cookie" in renewed) {
        const event = { kind: "session_changed", sessionId, at: now } as const;
        forgetCachedCookies(event);
        await bus.publish(event);
      }
      return renewed;
    },

    listSessions(userId) {
      return persistence.sessions.listLiveUserSessions(userId, clock.now());
    },

    async refresh(refreshToken, client) {
      const result = await rotateRefreshToken(refreshToken, client);
      if (!result.ok) {
        if ("revokedSessionId" in result) await announceRevokedSessions([result.revokedSessionId]);
        return { ok: false, code: result.code };
      }
      return {
        ok: true,
        user: result.user,
        grant: grantFor(result.user, result.session, result.successor, result.now),
      };
    },

    async revokeSession(userId, sessionId, reason, client) {
      const now = clock.now();
      const revoked = await persistence.transaction(async (stores) => {
        const session = await stores.sessions.findSessionById(sessionId);
        if (session === undefined || session.userId !== userId) return false;
        // An expired session is not live: nothing to revoke (the device list no longer shows it).
        if (session.expiresAt <= now || (session.idleExpiresAt !== null && session.idleExpiresAt <= now))
          return false;
        if (!(await stores.sessions.revokeSession(sessionId, now, reason))) return false;
        await recordRevocations(stores, userId, [sessionId], reason, client, now);
        return true;
      });
      if (revoked) await announceRevokedSessions([sessionId]);
      return revoked;
    },

    async revokeUserSessions(userId, reason, client, exceptSessionId) {
      const ids = await persistence.transaction((stores) =>
        revokeUserSessionsIn(stores, userId, reason, client, exceptSessionId),
      );
      await announceRevokedSessions(ids);
      return ids;
    },

    revokeUserSessionsIn,

    announceRevokedSessions,

    authenticateAccessToken(token) {
      const verified = verifier.verifyNonBlocking(token);
      return verified instanceof Promise ? verified.then(unlessRevoked) : unlessRevoked(verified);
    },
  };
}
