/** The ephemeral store of a single instance: a map with deadlines, swept as it is used. */
import type { Clock } from "../../domain/clock.js";
import type { EphemeralStore } from "../../domain/ephemeral/ephemeral-store.js";

/** Expired entries are swept at most this often (a lookup also ignores them). */
const SWEEP_INTERVAL_MS = 30_000;

export function createMemoryEphemeralStore(clock: Clock): EphemeralStore {
  const entries = new Map<string, { value: string; expiresAt: number }>();
  let nextSweep = 0;

  function live(key: string): { value: string; expiresAt: number } | undefined {
    const now = clock.now();
    if (now >= nextSweep) {
      nextSweep = now + SWEEP_INTERVAL_MS;
      for (const [k, entry] of entries) if (entry.expiresAt <= now) entries.delete(k);
    }
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }

  return {
    async putIfAbsent(key, value, ttlMs) {
      if (live(key) !== undefined) return false;
      entries.set(key, { value, expiresAt: clock.now() + ttlMs });
      return true;
    },
    async put(key, value, ttlMs) {
      entries.set(key, { value, expiresAt: clock.now() + ttlMs });
    },
    async get(key) {
      return live(key)?.value;
    },
    async take(key) {
      const entry = live(key);
      entries.delete(key);
      return entry?.value;
    },
    async increment(key, ttlMs) {
      const entry = live(key);
      const count = entry === undefined ? 1 : Number(entry.value) + 1;
      entries.set(key, { value: String(count), expiresAt: entry?.expiresAt ?? clock.now() + ttlMs });
      return count;
    },
    async delete(key) {
      entries.delete(key);
    },
  };
}
