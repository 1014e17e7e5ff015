import { describe, expect, it } from "vitest";
import { type Clock, createManualClock } from "../clock.js";
import type { FailureLimiter } from "./limiter.js";
import { createLoginThrottle } from "./login-throttle.js";

/**
 * A fixed-window failure counter on a manual clock: the same contract as the store's limiters,
 * small enough to read at a glance.
 */
function createFakeFailureLimiter(clock: Clock, points: number, windowSeconds: number) {
  const windows = new Map<string, { failures: number; endsAt: number }>();
  const live = (key: string) => {
    const window = windows.get(key);
    return window !== undefined && window.endsAt > clock.now() ? window : undefined;
  };
  const limiter: FailureLimiter & { totalFailures(): number } = {
    async retryAfter(key) {
      const window = live(key);
      return window !== undefined && window.failures >= points
        ? Math.ceil((window.endsAt - clock.now()) / 1000)
        : 0;
    },
    async recordFailure(key) {
      const window = live(key) ?? { failures: 0, endsAt: clock.now() + windowSeconds * 1000 };
      window.failures += 1;
      windows.set(key, window);
    },
    async clear(key) {
      windows.delete(key);
    },
    totalFailures: () => [...windows.keys()].reduce((sum, key) => sum + (live(key)?.failures ?? 0), 0),
  };
  return limiter;
}

const ACCOUNT = "alice@example.com";
const IP = "203.0.113.7";

function setUp(limits: { pair: number; ip: number; pairWindow?: number; ipWindow?: number }) {
  const clock = createManualClock();
  const perAccountAndIp = createFakeFailureLimiter(clock, limits.pair, limits.pairWindow ?? 900);
  const perIp = createFakeFailureLimiter(clock, limits.ip, limits.ipWindow ?? 900);
  const throttle = createLoginThrottle({ perAccountAndIp, perIp });
  const fail = async (times: number, account = ACCOUNT, ip = IP) => {
    for (let i = 0; i < times; i++) await throttle.recordFailure(account, ip);
  };
  return { clock, throttle, perAccountAndIp, perIp, fail };
}

describe("createLoginThrottle", () => {
  it("lets an account and address that have not failed try at once", async () => {
    const { throttle } = setUp({ pair: 3, ip: 30 });

    expect(await throttle.retryAfter(ACCOUNT, IP)).toBe(0);
  });

  it("lets the pair try until its failures are used up, then makes it wait", async () => {
    const { throttle, fail } = setUp({ pair: 3, ip: 30 });

    await fail(2);
    expect(await throttle.retryAfter(ACCOUNT, IP)).toBe(0);
    await fail(1);
    expect(await throttle.retryAfter(ACCOUNT, IP)).toBe(900);
  });

  it("keeps a blocked pair waiting until the window passes, then lets it try again", async () => {
    const { clock, throttle, fail } = setUp({ pair: 3, ip: 30 });
    await fail(3);

    clock.advance(600_000);
    expect(await throttle.retryAfter(ACCOUNT, IP)).toBe(300);
    clock.advance(300_000);
    expect(await throttle.retryAfter(ACCOUNT, IP)).toBe(0);
  });

  it("does not lock the account out for other addresses, so nobody can lock a victim out from elsewhere", async () => {
    const { throttle, fail } = setUp({ pair: 3, ip: 30 });
    await fail(3, ACCOUNT, "198.51.100.66");

    expect(await throttle.retryAfter(ACCOUNT, IP)).toBe(0);
  });

  it("lets the same address try other accounts while its own budget lasts", async () => {
    const { throttle, fail } = setUp({ pair: 3, ip: 30 });
    await fail(3);

    expect(await throttle.retryAfter("bob@example.com", IP)).toBe(0);
  });

  it("blocks an address spraying many accounts once the per-address budget is used, for every account", async () => {
    const { throttle, fail } = setUp({ pair: 3, ip: 5 });
    for (let i = 0; i < 5; i++) await fail(1, `user${i}@example.com`);

    expect(await throttle.retryAfter("never-tried@example.com", IP)).toBeGreaterThan(0);
    expect(await throttle.retryAfter("never-tried@example.com", "198.51.100.66")).toBe(0);
  });

  it("clears the pair's failures on success", async () => {
    const { throttle, fail } = setUp({ pair: 3, ip: 100 });
    await fail(2);

    await throttle.recordSuccess(ACCOUNT, IP);
    await fail(2);

    expect(await throttle.retryAfter(ACCOUNT, IP)).toBe(0);
    await fail(1);
    expect(await throttle.retryAfter(ACCOUNT, IP)).toBeGreaterThan(0);
  });

  it("keeps counting the address's failures across a success", async () => {
    const { throttle, fail } = setUp({ pair: 3, ip: 4 });
    await fail(2);

    await throttle.recordSuccess(ACCOUNT, IP);
    await fail(2);

    // The pair has 2 of 3 failures, the address 4 of 4: the address is what blocks, for any account.
    expect(await throttle.retryAfter(ACCOUNT, IP)).toBeGreaterThan(0);
    expect(await throttle.retryAfter("bob@example.com", IP)).toBeGreaterThan(0);
  });

  it("answers the longer wait when both the pair and the address are blocked", async () => {
    const { throttle, fail } = setUp({ pair: 2, ip: 2, pairWindow: 900, ipWindow: 3600 });
    await fail(2);

    expect(await throttle.retryAfter(ACCOUNT, IP)).toBe(3600);
  });

  it("records each failure once against the pair and once against the address", async () => {
    const { throttle, perAccountAndIp, perIp } = setUp({ pair: 10, ip: 10 });

    await throttle.recordFailure(ACCOUNT, IP);

    expect(perAccountAndIp.totalFailures()).toBe(1);
    expect(perIp.totalFailures()).toBe(1);
  });
});
