import { describe, expect, it } from "vitest";
import { createVerifiedTokenCache } from "./verified-token-cache.js";

describe("createVerifiedTokenCache", () => {
  it("evicts the oldest token first, and never holds more than its capacity", () => {
    const cache = createVerifiedTokenCache<number>(3);
    for (let index = 0; index < 10; index += 1) {
      cache.set(`t${index}`, index);
      expect(cache.size).toBe(Math.min(index + 1, 3));
    }
    expect([cache.get("t6"), cache.get("t7"), cache.get("t8"), cache.get("t9")]).toEqual([
      undefined,
      7,
      8,
      9,
    ]);
  });

  it("updates a token set again in place, without evicting another", () => {
    const cache = createVerifiedTokenCache<string>(2);
    cache.set("a", "1");
    cache.set("b", "2");
    cache.set("a", "3");
    expect([cache.get("a"), cache.get("b"), cache.size]).toEqual(["3", "2", 2]);
  });

  it("forgets a deleted token, makes room after clear, and remembers nothing with capacity 0", () => {
    const cache = createVerifiedTokenCache<number>(2);
    cache.set("a", 1);
    cache.set("b", 2);
    cache.delete("a");
    cache.set("c", 3);
    // The slot of the deleted "a" is the one reused; "b" stays.
    expect([cache.get("a"), cache.get("b"), cache.get("c")]).toEqual([undefined, 2, 3]);
    cache.clear();
    expect(cache.size).toBe(0);
    cache.set("d", 4);
    cache.set("e", 5);
    expect([cache.get("d"), cache.get("e")]).toEqual([4, 5]);
    const none = createVerifiedTokenCache<number>(0);
    none.set("a", 1);
    expect([none.get("a"), none.size]).toEqual([undefined, 0]);
  });

  it("refuses a capacity that is not a non-negative integer", () => {
    expect(() => createVerifiedTokenCache(-1)).toThrow(/capacity/);
    expect(() => createVerifiedTokenCache(1.5)).toThrow(/capacity/);
  });
});
