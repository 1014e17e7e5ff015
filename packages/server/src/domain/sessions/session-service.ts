/**
 * Sessions, refresh-token rotation and revocation.
 *
 * One login is one session row. Token sessions carry an opaque 256-bit refresh token, stored
 * only as its SHA-256, rotated on every use inside a transaction with a compare-and-swap, so of
 * two concurrent refreshes exactly one wins. Presenting a token that was already rotated is
 * theft or a replay: the whole session is revoked and the event recorded (RFC 9700 §4.14.2,
 * RFC 6749 §10.4). Revocations are written to SQL first, then applied to this instance's
 * revocation set and published on the bus, so access tokens stop working at once.
 */
import { createHash, randomBytes } from "node:crypto";
import type { ClientContext } from "../audit/audit-event.js";
import { type Clock, toSeconds } from "../clock.js";
import type { Persistence, Stores } from "../persistence.js";
import type { AccessTokenClaims, AccessTokenIssuer, AccessTokenVerifier } from "../tokens/access-token.js";
import type { User } from "../users/user.js";
import type { RevocationBus, RevocationSet } from "./revocation.js";
import type { Session, SessionRevocationReason } from "./session.js";

export interface TokenGrant {
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
  session: Session;
}

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
  /** The hot path: signature (or cache) plus in-memory revocation lookups. No I/O. */
  authenticateAccessToken(token: string): AccessTokenClaims | null;
  /** Fills the revocation set from SQL (at start, and after a bus reconnect). */
  loadRevocations(): Promise<void>;
}

const REFRESH_TOKEN_BYTES = 32;

export function hashOpaqueToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export function createSessionService(deps: SessionServiceDeps): SessionService {
  const { persistence, clock, issuer, verifier, revocations, bus } = deps;

  function newOpaqueToken(): string {
    return randomBytes(REFRESH_TOKEN_BYTES).toString("base64url");
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

  // Refresh, as named steps: find → detect reuse → check liveness → claim (CAS) → issue successor.
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

  async function rotateRefreshToken(presented: string, client: ClientContext) {
    const now = clock.now();
    return persistence.transaction(async (stores) => {
      const found = await stores.sessions.findRefreshTokenByHash(hashOpaqueToken(presented));
      if (found === undefined) return { ok: false, code: "invalid_refresh_token" } as const;
      const { token, session } = found;
      if (token.rotatedAt !== null) return revokeForReuse(stores, session, client, now);
      if (session.revokedAt !== null || session.expiresAt <= now || token.expiresAt <= now) {
        return { ok: false, code: "invalid_refresh_token" } as const;
      }
      const user = await stores.users.findUserById(session.userId);
      if (user === undefined || user.disabledAt !== null)
        return { ok: false, code: "invalid_refresh_token" } as const;
      // Compare-and-swap: a concurrent refresh that got here first wins; this one is then a reuse.
      if (!(await stores.sessions.markRefreshTokenRotated(token.id, now))) {
        return revokeForReuse(stores, session, client, now);
      }
      const successor = await insertRefreshToken(stores, session, now);
      await stores.sessions.touchSession(session.id, now);
      return { ok: true, user, session: { ...session, lastSeenAt: now }, successor, now } as const;
    });
  }

  return {
    async startTokenSession(stores, input) {
      const now = clock.now();
      const ttlSeconds = input.rememberMe ? deps.rememberMeTtlSeconds : deps.refreshTokenTtlSeconds;
      const session: Session = {
        id: randomBytes(16).toString("base64url"),
        userId: input.user.id,
        transport: "token",
        createdAt: now,
        lastSeenAt: now,
        expiresAt: now + ttlSeconds * 1000,
        revokedAt: null,
        ip: input.client.ip,
        userAgent: input.client.userAgent,
        amr: input.amr,
        authTime: toSeconds(now),
        rememberMe: input.rememberMe,
      };
      await stores.sessions.insertSession(session);
      const refreshToken = await insertRefreshToken(stores, session, now);
      return grantFor(input.user, session, refreshToken, now);
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
      const claims = verifier.verify(token);
      if (claims === null || revocations.isRevoked(claims.sid, claims.sub, claims.iat)) return null;
      return claims;
    },

    async loadRevocations() {
      // Anything revoked before the oldest unexpired access token could have been issued is moot.
      const since = clock.now() - (deps.accessTokenTtlSeconds + 60) * 1000;
      const [sessions, users] = await Promise.all([
        persistence.sessions.listSessionsRevokedSince(since),
        persistence.users.listUsersDisabledSince(since),
      ]);
      for (const { id, revokedAt } of sessions)
        revocations.apply({ kind: "session", sessionId: id, at: revokedAt });
      for (const { id, disabledAt } of users) revocations.apply({ kind: "user", userId: id, at: disabledAt });
    },
  };
}
