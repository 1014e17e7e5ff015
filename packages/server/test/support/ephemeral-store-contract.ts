/** What every `EphemeralStore` must do, run against each implementation. */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { EphemeralStore } from "../../src/domain/ephemeral/ephemeral-store.js";

export function describeEphemeralStoreContract(name: string, store: () => EphemeralStore) {
  describe(`${name}: the EphemeralStore contract`, () => {
    const key = () => `contract:${randomUUID()}`;

    it("puts a value only if the key is absent", async () => {
      const k = key();
      expect(await store().putIfAbsent(k, "first", 60_000)).toBe(true);
      expect(await store().putIfAbsent(k, "second", 60_000)).toBe(false);
      expect(await store().get(k)).toBe("first");
    });

    it("replaces with put, and forgets with delete", async () => {
      const k = key();
      await store().put(k, "a", 60_000);
      await store().put(k, "b", 60_000);
      expect(await store().get(k)).toBe("b");
      await store().delete(k);
      expect(await store().get(k)).toBeUndefined();
    });

    it("hands a value to exactly one of many concurrent takers", async () => {
      const k = key();
      await store().put(k, "once", 60_000);
      const taken = await Promise.all(Array.from({ length: 10 }, () => store().take(k)));
      expect(taken.filter((value) => value === "once")).toHaveLength(1);
      expect(taken.filter((value) => value === undefined)).toHaveLength(9);
      expect(await store().get(k)).toBeUndefined();
    });

    it("counts concurrent increments without losing one", async () => {
      const k = key();
      const counts = await Promise.all(Array.from({ length: 20 }, () => store().increment(k, 60_000)));
      expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    });

    it("answers undefined for a key never written", async () => {
      expect(await store().get(key())).toBeUndefined();
      expect(await store().take(key())).toBeUndefined();
    });
  });
}
