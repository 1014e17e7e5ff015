/**
 * Brute-force limits on password checks (NIST SP 800-63B §5.2.2, ASVS 6.3.1): failures are
 * counted per account + client address and per client address. There is deliberately no
 * per-account limit across addresses: it would let anyone lock a victim out from elsewhere.
 * Unknown accounts are counted exactly like known ones, so the limiter reveals nothing.
 */
import type { FailureLimiter } from "./limiter.js";

export interface LoginThrottle {
  /** Seconds to wait, or 0. Checked before the password, so a blocked pair learns nothing. */
  retryAfter(account: string, ip: string): Promise<number>;
  recordFailure(account: string, ip: string): Promise<void>;
  recordSuccess(account: string, ip: string): Promise<void>;
}

export function createLoginThrottle(limiters: {
  perAccountAndIp: FailureLimiter;
  perIp: FailureLimiter;
}): LoginThrottle {
  const pairKey = (account: string, ip: string) => `${account}|${ip}`;
  return {
    async retryAfter(account, ip) {
      const [pair, address] = await Promise.all([
        limiters.perAccountAndIp.retryAfter(pairKey(account, ip)),
        limiters.perIp.retryAfter(ip),
      ]);
      return Math.max(pair, address);
    },
    async recordFailure(account, ip) {
      await Promise.all([
        limiters.perAccountAndIp.recordFailure(pairKey(account, ip)),
        limiters.perIp.recordFailure(ip),
      ]);
    },
    async recordSuccess(account, ip) {
      await limiters.perAccountAndIp.clear(pairKey(account, ip));
    },
  };
}
