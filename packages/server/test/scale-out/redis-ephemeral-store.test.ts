/** One-time state in Redis: the same contract as in memory, shared by instances, and TTLs set in Redis itself. */
import { afterAll, describe, expect, it } from "vitest";
import { systemClock } from "../../src/domain/clock.js";
import { connectRedis } from "../../src/store/redis/redis-connection.js";
import { createRedisEphemeralStore } from "../../src/store/redis/redis-ephemeral-store.js";
import { describeEphemeralStoreContract } from "../support/ephemeral-store-contract.js";
import { REDIS_TEST_URL, uniqueRedisPrefix } from "../support/test-stores.js";

const prefix = uniqueRedisPrefix();
// Two connections, as two instances would have: what one writes, the other sees.
const first = connectRedis(REDIS_TEST_URL, prefix);
const second = connectRedis(REDIS_TEST_URL, prefix);
await Promise.all([first.waitUntilReady(5_000), second.waitUntilReady(5_000)]);
const stores = [
  createRedisEphemeralStore(first, systemClock),
  createRedisEphemeralStore(second, systemClock),
];
let turn = 0;

afterAll(async () => {
  await first.close();
  await second.close();
});

describeEphemeralStoreContract(
  "Redis, alternating between two instances",
  () => stores[turn++ % 2] as (typeof stores)[0],
);

describe("Redis ephemeral store", () => {
  it("keeps keys under the deployment's prefix with the TTL asked for, not extended by increments", async () => {
    const [a, b] = stores as [(typeof stores)[0], (typeof stores)[0]];
    await a.put("ttl:challenge", "c", 60_000);
    await b.increment("ttl:attempts", 30_000);
    await a.increment("ttl:attempts", 90_000);
    const challengeTtl = await first.client.pttl(`${prefix}eph:ttl:challenge`);
    const attemptsTtl = await first.client.pttl(`${prefix}eph:ttl:attempts`);
    expect(challengeTtl).toBeGreaterThan(55_000);
    expect(challengeTtl).toBeLessThanOrEqual(60_000);
    expect(attemptsTtl).toBeGreaterThan(25_000);
    expect(attemptsTtl).toBeLessThanOrEqual(30_000);
  });
});
