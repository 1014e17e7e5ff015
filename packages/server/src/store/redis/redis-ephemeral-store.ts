/**
 * One-time state in Redis, shared by every instance; each operation is one atomic command (or
 * script). While Redis is away, this instance keeps new state in its own memory, like the
 * insurance rate limiters: sign-ins that need one-time state go on, on the instance that began
 * them. State written to Redis before an outage is unreachable until it returns, never reused.
 */
import type { Clock } from "../../domain/clock.js";
import type { EphemeralStore } from "../../domain/ephemeral/ephemeral-store.js";
import { createMemoryEphemeralStore } from "../ephemeral/memory-ephemeral-store.js";
import type { RedisConnection } from "./redis-connection.js";

/** INCR that sets the TTL only when it creates the counter. */
const INCREMENT_WITH_TTL = `
local count = redis.call("INCR", KEYS[1])
if count == 1 then redis.call("PEXPIRE", KEYS[1], ARGV[1]) end
return count`;

export function createRedisEphemeralStore(redis: RedisConnection, clock: Clock): EphemeralStore {
  const local = createMemoryEphemeralStore(clock);
  const { client } = redis;
  const key = (name: string) => `${redis.prefix}eph:${name}`;

  async function either<T>(shared: () => Promise<T>, fallback: () => Promise<T>): Promise<T> {
    if (!redis.ready) return fallback();
    try {
      return await shared();
    } catch {
      return fallback();
    }
  }

  return {
    putIfAbsent: (name, value, ttlMs) =>
      either(
        async () => (await client.set(key(name), value, "PX", ttlMs, "NX")) === "OK",
        () => local.putIfAbsent(name, value, ttlMs),
      ),
    put: (name, value, ttlMs) =>
      either(
        async () => {
          await client.set(key(name), value, "PX", ttlMs);
        },
        () => local.put(name, value, ttlMs),
      ),
    get: (name) =>
      either(
        async () => (await client.get(key(name))) ?? (await local.get(name)),
        () => local.get(name),
      ),
    take: (name) =>
      either(
        async () => (await client.getdel(key(name))) ?? (await local.take(name)),
        () => local.take(name),
      ),
    increment: (name, ttlMs) =>
      either(
        async () => Number(await client.eval(INCREMENT_WITH_TTL, 1, key(name), String(ttlMs))),
        () => local.increment(name, ttlMs),
      ),
    delete: (name) =>
      either(
        async () => {
          await Promise.all([client.del(key(name)), local.delete(name)]);
        },
        () => local.delete(name),
      ),
  };
}
