/**
 * Revocation on the hot path (API.md "Sessions"; ASVS 7.4.1): every instance keeps, in memory,
 * the sessions revoked and the users cut off within the access-token lifetime, so verifying a
 * token costs a signature check and two map lookups, never I/O. The set is loaded from SQL at
 * start and fed by a `RevocationBus` (in-process for one instance; Redis or PostgreSQL for many).
 */
import type { Clock } from "../clock.js";

export type RevocationEvent =
  /** Every token naming this session (`sid`) is refused. */
  | { kind: "session"; sessionId: string; at: number }
  /** Every token of this user issued before `at` is refused (disabled or deleted accounts). */
  | { kind: "user"; userId: string; at: number }
  /**
   * Revokes nothing: the session's cookie secret was replaced (step-up, privilege change), so
   * whatever an instance cached of the old one must go. Listeners that do not cache ignore it.
   */
  | { kind: "session_changed"; sessionId: string; at: number }
  /** Revokes nothing: the user's row changed (profile, roles, MFA); cached copies must go. */
  | { kind: "user_changed"; userId: string; at: number };

/** The events that revoke something (what SQL records and reloads); the rest only invalidate caches. */
export type Revocation = Extract<RevocationEvent, { kind: "session" | "user" }>;

/**
 * Carries revocations to every instance. The revocation is already committed to SQL when it is
 * published, so the bus is a fast path, not the record: `publish` never rejects (an event it
 * cannot send now is sent when it reconnects), and while it is down `RevocationSync` polls SQL.
 */
export interface RevocationBus {
  publish(event: RevocationEvent): Promise<void>;
  subscribe(listener: (event: RevocationEvent) => void): () => void;
  /** Whether events published by other instances reach this one right now. */
  readonly connected: boolean;
  /** Told whenever `connected` changes; events may have been missed while it was false. */
  onConnectionChange(listener: (connected: boolean) => void): () => void;
  close(): Promise<void>;
}

/** Parses a bus message; null for anything that is not a well-formed revocation event. */
export function parseRevocationEvent(message: string): RevocationEvent | null {
  try {
    const value = JSON.parse(message) as Record<string, unknown>;
    if (typeof value.at !== "number" || !Number.isFinite(value.at)) return null;
    if (value.kind === "session" && typeof value.sessionId === "string")
      return { kind: "session", sessionId: value.sessionId, at: value.at };
    if (value.kind === "user" && typeof value.userId === "string")
      return { kind: "user", userId: value.userId, at: value.at };
    if (value.kind === "session_changed" && typeof value.sessionId === "string")
      return { kind: "session_changed", sessionId: value.sessionId, at: value.at };
    if (value.kind === "user_changed" && typeof value.userId === "string")
      return { kind: "user_changed", userId: value.userId, at: value.at };
  } catch {
    // Not JSON: ignored like any other stranger on the channel.
  }
  return null;
}

export interface RevocationSet {
  apply(event: RevocationEvent): void;
  /** `iat` in seconds, as in the token. */
  isRevoked(sessionId: string, userId: string, issuedAt: number): boolean;
  /** Forgets what no unexpired access token can be affected by any more. */
  prune(): void;
  readonly size: number;
}

/**
 * @param retentionMs how long an entry matters: the access-token lifetime plus clock leeway.
 * @example const revocations = createRevocationSet({ clock, retentionMs: (900 + 60) * 1000 });
 */
export function createRevocationSet(options: { clock: Clock; retentionMs: number }): RevocationSet {
  const revokedSessions = new Map<string, number>();
  const userNotBefore = new Map<string, number>();
  return {
    apply(event) {
      if (event.kind === "session") {
        revokedSessions.set(event.sessionId, event.at);
      } else if (event.kind === "user") {
        userNotBefore.set(event.userId, Math.max(event.at, userNotBefore.get(event.userId) ?? 0));
      }
    },
    isRevoked(sessionId, userId, issuedAt) {
      if (revokedSessions.has(sessionId)) return true;
      const notBefore = userNotBefore.get(userId);
      return notBefore !== undefined && issuedAt * 1000 < notBefore;
    },
    prune() {
      const horizon = options.clock.now() - options.retentionMs;
      for (const [id, at] of revokedSessions) if (at < horizon) revokedSessions.delete(id);
      for (const [id, at] of userNotBefore) if (at < horizon) userNotBefore.delete(id);
    },
    get size() {
      return revokedSessions.size + userNotBefore.size;
    },
  };
}
