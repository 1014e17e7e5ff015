/**
 * A cap on wrong second-factor codes per account, across mfaTokens, sessions and instances.
 *
 * A six-digit code has ~20 bits, so guessing must be throttled (RFC 4226 §7.3; NIST SP 800-63B
 * §5.2.2; ASVS 6.3.1). The per-mfaToken limit alone is not enough: whoever knows the password can
 * sign in again for a fresh token. So every wrong code (at sign-in, step-up, disable) also
 * counts against the account: after `maxFailures` in a window, codes are refused with a
 * `Retry-After` until the window ends (Keycloak does the same: 5 tries, 15 minutes). Only
 * someone who already has the password or a live session can spend this budget, so it cannot
 * lock a stranger out. A right code clears the count. Counters live in the ephemeral store, so
 * instances sharing Redis share them.
 */
import type { Clock } from "../clock.js";
import type { EphemeralStore } from "../ephemeral/ephemeral-store.js";

export interface MfaFailureLimit {
  /** Seconds until the user may try a code again; 0 when they may now. */
  retryAfter(userId: string): Promise<number>;
  recordFailure(userId: string): Promise<void>;
  clear(userId: string): Promise<void>;
}

export interface MfaFailureLimitOptions {
  ephemeral: EphemeralStore;
  clock: Clock;
  maxFailures: number;
  windowMs: number;
}

export function createMfaFailureLimit(options: MfaFailureLimitOptions): MfaFailureLimit {
  const { ephemeral, clock, maxFailures, windowMs } = options;
  const countKey = (userId: string) => `mfa:failures:${userId}`;
  // When the window started, to answer Retry-After; written with the window's first failure.
  const sinceKey = (userId: string) => `mfa:failures-since:${userId}`;

  async function clear(userId: string): Promise<void> {
    await ephemeral.delete(countKey(userId));
    await ephemeral.delete(sinceKey(userId));
  }

  /** Milliseconds left in the user's window; 0 (and the window cleared) once it has passed. */
  async function remainingMs(userId: string): Promise<number> {
    const since = await ephemeral.get(sinceKey(userId));
    if (since === undefined) return 0;
    // Measured on our clock too, not only by the store's TTLs.
    const remaining = Number(since) + windowMs - clock.now();
    if (remaining > 0) return remaining;
    await clear(userId);
    return 0;
  }

  return {
    async retryAfter(userId) {
      const remaining = await remainingMs(userId);
      if (remaining === 0) return 0;
      const count = Number((await ephemeral.get(countKey(userId))) ?? 0);
      return count < maxFailures ? 0 : Math.max(1, Math.ceil(remaining / 1000));
    },
    async recordFailure(userId) {
      await remainingMs(userId);
      await ephemeral.putIfAbsent(sinceKey(userId), String(clock.now()), windowMs);
      await ephemeral.increment(countKey(userId), windowMs);
    },
    clear,
  };
}
