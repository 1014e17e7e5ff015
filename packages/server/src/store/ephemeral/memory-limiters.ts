/**
 * Rate limiters on `rate-limiter-flexible`'s in-memory store: counters live in this process
 * and are lost on restart, which loses nothing that matters. The adapters from its limiters to
 * our ports are shared with the Redis-backed twins (store/redis/redis-limiters.ts).
 */
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import type { RateLimitSetting } from "../../config/config.js";
import {
  type FailureLimiter,
  type RequestLimiter,
  unlimitedFailures,
  unlimitedRequests,
} from "../../domain/rate-limit/limiter.js";

const toRetrySeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

const memoryLimiter = (setting: RateLimitSetting, keyPrefix: string) =>
  new RateLimiterMemory({ points: setting.points, duration: setting.durationSeconds, keyPrefix });

export function createMemoryFailureLimiter(
  setting: RateLimitSetting | null,
  keyPrefix: string,
): FailureLimiter {
  return failureLimiterOn(setting, (s) => memoryLimiter(s, keyPrefix));
}

export function createMemoryRequestLimiter(
  setting: RateLimitSetting | null,
  keyPrefix: string,
): RequestLimiter {
  return requestLimiterOn(setting, (s) => memoryLimiter(s, keyPrefix));
}

/** A failure limiter over any `rate-limiter-flexible` limiter; never blocks when `setting` is off. */
export function failureLimiterOn(
  setting: RateLimitSetting | null,
  create: (setting: RateLimitSetting) => RateLimiterAbstract,
): FailureLimiter {
  if (setting === null) return unlimitedFailures;
  const limiter = create(setting);
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

/** A request limiter over any `rate-limiter-flexible` limiter; never blocks when `setting` is off. */
export function requestLimiterOn(
  setting: RateLimitSetting | null,
  create: (setting: RateLimitSetting) => RateLimiterAbstract,
): RequestLimiter {
  if (setting === null) return unlimitedRequests;
  const limiter = create(setting);
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
