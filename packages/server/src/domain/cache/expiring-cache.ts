/**
 * A bounded map whose entries expire: what hot paths keep of SQL rows so that a request costs
 * no I/O. Callers invalidate entries when they learn of a change (locally, or over the bus); the
 * TTL bounds how long a change they did not hear of can go unseen.
 */
import type { Clock } from "../clock.js";

export interface ExpiringCache<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): void;
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
    set(key, value) {
      entries.delete(key);
      // Oldest first out: a Map iterates in insertion order.
      if (entries.size >= options.maxEntries) entries.delete(entries.keys().next().value as K);
      entries.set(key, { value, expiresAt: options.clock.now() + options.ttlMs });
    },
    delete(key) {
      entries.delete(key);
    },
    deleteWhere(matches) {
      for (const [key, entry] of entries) if (matches(entry.value)) entries.delete(key);
    },
    clear() {
      entries.clear();
    },
    get size() {
      return entries.size;
    },
  };
}
