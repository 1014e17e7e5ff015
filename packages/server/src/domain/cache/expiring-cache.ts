/**
 * A bounded map whose entries expire: what hot paths keep of SQL rows so that a request costs
 * no I/O. Callers invalidate entries when they learn of a change (locally, or over the bus); the
 * TTL bounds how long a change they did not hear of can go unseen.
 */
import type { Clock } from "../clock.js";

export interface ExpiringCache<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): void;
  /**
   * Changes with every invalidation (`delete`, `deleteWhere`, `clear`). Take it before reading the
   * source and pass it to `setIfUnchanged`, so a value read before a change is never cached after it.
   */
  readonly version: number;
  /** Caches `value` only if nothing was invalidated since `version` was taken. */
  setIfUnchanged(key: K, value: V, version: number): void;
  delete(key: K): void;
  /** Drops every entry whose value matches (a user's or a session's entries). */
  deleteWhere(matches: (value: V) => boolean): void;
  clear(): void;
  readonly size: number;
}

export function createExpiringCache<K, V>(options: {
  maxEntries: number;
  ttlMs: number;
  clock: Clock;
}): ExpiringCache<K, V> {
  const entries = new Map<K, { value: V; expiresAt: number }>();
  let version = 0;
  function set(key: K, value: V) {
    entries.delete(key);
    // Oldest first out: a Map iterates in insertion order.
    if (entries.size >= options.maxEntries) entries.delete(entries.keys().next().value as K);
    entries.set(key, { value, expiresAt: options.clock.now() + options.ttlMs });
  }
  return {
    get(key) {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      if (entry.expiresAt <= options.clock.now()) {
        entries.delete(key);
        return undefined;
      }
      return entry.value;
    },
    set,
    get version() {
      return version;
    },
    setIfUnchanged(key, value, taken) {
      if (taken === version) set(key, value);
    },
    delete(key) {
      version++;
      entries.delete(key);
    },
    deleteWhere(matches) {
      version++;
      for (const [key, entry] of entries) if (matches(entry.value)) entries.delete(key);
    },
    clear() {
      version++;
      entries.clear();
    },
    get size() {
      return entries.size;
    },
  };
}
