import { describe, expect, it } from "vitest";
import { createManualClock } from "../clock.js";
import { createExpiringCache } from "./expiring-cache.js";

describe("expiring cache", () => {
  it("forgets an entry once its TTL has passed", () => {
    const clock = createManualClock();
    const cache = createExpiringCache<string, number>({ maxEntries: 10, ttlMs: 1_000, clock });
    cache.set("a", 1);
    clock.advance(999);
    expect(cache.get("a")).toBe(1);
    clock.advance(1);
    expect(cache.get("a")).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("holds at most maxEntries, dropping the oldest first", () => {
    const cache = createExpiringCache<string, number>({
      maxEntries: 2,
      ttlMs: 1_000,
      clock: createManualClock(),
    });
    cache.set("a", 1);
    cache.set("b", 2);
    cache.set("a", 3);
    cache.set("c", 4);
    expect([cache.get("a"), cache.get("b"), cache.get("c")]).toEqual([3, undefined, 4]);
  });

  it("does not cache a value read before an invalidation that happened while it was being read", () => {
    const cache = createExpiringCache<string, number>({
      maxEntries: 10,
      ttlMs: 1_000,
      clock: createManualClock(),
    });
    const before = cache.version;
    cache.delete("a");
    cache.setIfUnchanged("a", 1, before);
    expect(cache.get("a")).toBeUndefined();
    cache.setIfUnchanged("a", 2, cache.version);
    expect(cache.get("a")).toBe(2);
  });

  it("drops the entries a predicate picks, and everything on clear", () => {
    const cache = createExpiringCache<string, { user: string }>({
      maxEntries: 10,
      ttlMs: 1_000,
      clock: createManualClock(),
    });
    cache.set("x", { user: "u1" });
    cache.set("y", { user: "u2" });
    cache.deleteWhere((value) => value.user === "u1");
    expect([cache.get("x"), cache.get("y")]).toEqual([undefined, { user: "u2" }]);
    cache.clear();
    expect(cache.get("y")).toBeUndefined();
  });
});
