/**
 * Rate limiters on `rate-limiter-flexible`'s in-memory store: counters live in this process
 * and are lost on restart, which loses nothing that matters. (Redis-backed twins with the same
 * ports arrive with multi-instance mode.)
 */
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import type { RateLimitSetting } from "../../config/config.js";
import {
  type FailureLimiter,
  type RequestLimiter,
  unlimitedFailures,
  unlimitedRequests,
} from "../../domain/rate-limit/limiter.js";

const toRetrySeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

export function createMemoryFailureLimiter(
  setting: RateLimitSetting | null,
  keyPrefix: string,
): FailureLimiter {
  if (setting === null) return unlimitedFailures;
  const limiter = new RateLimiterMemory({
    points: setting.points,
    duration: setting.durationSeconds,
    keyPrefix,
  });
  return {
    async retryAfter(key) {
      const state = await limiter.get(key);
      return state !== null && state.consumedPoints >= setting.points
        ? toRetrySeconds(state.msBeforeNext)
        : 0;
    },
    async recordFailure(key) {
      await limiter.penalty(key, 1);
    },
    async clear(key) {
      await limiter.delete(key);
    },
  };
}

export function createMemoryRequestLimiter(
  setting: RateLimitSetting | null,
  keyPrefix: string,
): RequestLimiter {
  if (setting === null) return unlimitedRequests;
  const limiter = new RateLimiterMemory({
    points: setting.points,
    duration: setting.durationSeconds,
    keyPrefix,
  });
  return {
    async consume(key) {
      try {
        await limiter.consume(key);
        return 0;
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) return toRetrySeconds(rejection.msBeforeNext);
        throw rejection;
      }
    },
  };
}
