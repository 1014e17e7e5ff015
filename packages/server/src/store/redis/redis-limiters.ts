/**
 * Rate limiters shared by every instance through Redis (`rate-limiter-flexible`), each with an
 * in-memory insurance limiter of the same settings: if Redis goes away, logins go on, limited
 * per instance, and go back to the shared counters when it returns.
 */
import { RateLimiterMemory, RateLimiterRedis } from "rate-limiter-flexible";
import type { RateLimitSetting } from "../../config/config.js";
import type { FailureLimiter, RequestLimiter } from "../../domain/rate-limit/limiter.js";
import { failureLimiterOn, requestLimiterOn } from "../ephemeral/memory-limiters.js";
import type { RedisConnection } from "./redis-connection.js";

function redisLimiter(redis: RedisConnection, setting: RateLimitSetting, keyPrefix: string) {
  const options = { points: setting.points, duration: setting.durationSeconds };
  return new RateLimiterRedis({
    ...options,
    storeClient: redis.client,
    keyPrefix: `${redis.prefix}rl:${keyPrefix}`,
    // Not ready: go to the insurance limiter at once rather than wait for a command to fail.
    rejectIfRedisNotReady: true,
    insuranceLimiter: new RateLimiterMemory({ ...options, keyPrefix }),
  });
}

export function createRedisFailureLimiter(
  redis: RedisConnection,
  setting: RateLimitSetting | null,
  keyPrefix: string,
): FailureLimiter {
  return failureLimiterOn(setting, (s) => redisLimiter(redis, s, keyPrefix));
}

export function createRedisRequestLimiter(
  redis: RedisConnection,
  setting: RateLimitSetting | null,
  keyPrefix: string,
): RequestLimiter {
  return requestLimiterOn(setting, (s) => redisLimiter(redis, s, keyPrefix));
}
