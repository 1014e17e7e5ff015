/**
 * What instances of one deployment share besides SQL, chosen from the configuration:
 * - REDIS_URL set: rate-limit counters and one-time state in Redis, revocations over its pub/sub;
 * - PostgreSQL without Redis: revocations over LISTEN/NOTIFY, the rest in each instance's memory;
 * - SQLite alone (one instance): everything in this process.
 */
import { sql } from "kysely";
import type { RateLimitSetting } from "../config/config.js";
import type { Clock } from "../domain/clock.js";
import type { EphemeralStore } from "../domain/ephemeral/ephemeral-store.js";
import type { FailureLimiter, RequestLimiter } from "../domain/rate-limit/limiter.js";
import type { RevocationBus } from "../domain/sessions/revocation.js";
import { createMemoryEphemeralStore } from "./ephemeral/memory-ephemeral-store.js";
import { createMemoryFailureLimiter, createMemoryRequestLimiter } from "./ephemeral/memory-limiters.js";
import { connectRedis } from "./redis/redis-connection.js";
import { createRedisEphemeralStore } from "./redis/redis-ephemeral-store.js";
import { createRedisFailureLimiter, createRedisRequestLimiter } from "./redis/redis-limiters.js";
import { createInProcessRevocationBus } from "./revocation/in-process-revocation-bus.js";
import { createPostgresRevocationBus } from "./revocation/postgres-revocation-bus.js";
import { createRedisRevocationBus } from "./revocation/redis-revocation-bus.js";
import type { SqlDatabase } from "./sql/database.js";

/** How long a starting instance waits for Redis before it starts degraded. */
const REDIS_START_TIMEOUT_MS = 3_000;

export type DependencyStatus = "ok" | "degraded";

export interface SharedState {
  bus: RevocationBus;
  ephemeral: EphemeralStore;
  failureLimiter(setting: RateLimitSetting | null, keyPrefix: string): FailureLimiter;
  requestLimiter(setting: RateLimitSetting | null, keyPrefix: string): RequestLimiter;
  /** Dependencies this instance can live without for a while, by name (`redis`, `revocation_bus`). */
  optionalDependencies(): Promise<Record<string, DependencyStatus>>;
  close(): Promise<void>;
}

export async function openSharedState(options: {
  redisUrl: string | undefined;
  prefix: string;
  database: SqlDatabase;
  databaseUrl: string;
  clock: Clock;
}): Promise<SharedState> {
  const { clock, database } = options;
  if (options.redisUrl !== undefined) {
    const redis = connectRedis(options.redisUrl, options.prefix);
    await redis.waitUntilReady(REDIS_START_TIMEOUT_MS);
    const bus = createRedisRevocationBus(redis);
    return {
      bus,
      ephemeral: createRedisEphemeralStore(redis, clock),
      failureLimiter: (setting, keyPrefix) => createRedisFailureLimiter(redis, setting, keyPrefix),
      requestLimiter: (setting, keyPrefix) => createRedisRequestLimiter(redis, setting, keyPrefix),
      async optionalDependencies() {
        return {
          redis: (await redis.ping()) ? "ok" : "degraded",
          revocation_bus: bus.connected ? "ok" : "degraded",
        };
      },
      async close() {
        await bus.close();
        await redis.close();
      },
    };
  }
  const bus =
    database.dialect === "postgres"
      ? createPostgresRevocationBus({
          url: options.databaseUrl,
          prefix: options.prefix,
          notify: async (channel, payload) => {
            await sql`select pg_notify(${channel}, ${payload})`.execute(database.db);
          },
        })
      : createInProcessRevocationBus();
  return {
    bus,
    ephemeral: createMemoryEphemeralStore(clock),
    failureLimiter: createMemoryFailureLimiter,
    requestLimiter: createMemoryRequestLimiter,
    async optionalDependencies() {
      return database.dialect === "postgres" ? { revocation_bus: bus.connected ? "ok" : "degraded" } : {};
    },
    close: () => bus.close(),
  };
}
