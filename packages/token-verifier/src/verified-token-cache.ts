/**
 * The cache of verified tokens both verifiers keep: keyed by the exact token string, bounded in
 * number, the oldest entry evicted first. Eviction follows a ring of insertion slots rather than
 * `map.keys().next()`: a Map iterator skips every entry deleted at the front since the last
 * rehash, which made each eviction cost thousands of steps once the cache was full and every
 * request a miss.
 */

export interface VerifiedTokenCache<T> {
  get(token: string): T | undefined;
  /** Remembers a verified token; the oldest entry makes room when the cache is full. */
  set(token: string, value: T): void;
  delete(token: string): void;
  clear(): void;
  readonly size: number;
}

/**
 * Creates a cache holding at most `capacity` tokens; 0 remembers nothing.
 *
 * @example
 * const cache = createVerifiedTokenCache<Claims>(10_000);
 * cache.set(token, claims);
 */
export function createVerifiedTokenCache<T>(capacity: number): VerifiedTokenCache<T> {
  if (!Number.isInteger(capacity) || capacity < 0)
    throw new Error("createVerifiedTokenCache: capacity must be a non-negative integer");
  const entries = new Map<string, T>();
  // slots[next] holds the token inserted longest ago (or nothing, or one deleted since).
  const slots: Array<string | undefined> = new Array(capacity).fill(undefined);
  let next = 0;
  return {
    get: (token) => entries.get(token),
    set(token, value) {
      if (capacity === 0) return;
      if (entries.has(token)) {
        entries.set(token, value);
        return;
      }
      const oldest = slots[next];
      if (oldest !== undefined) entries.delete(oldest);
      slots[next] = token;
      next = (next + 1) % capacity;
      entries.set(token, value);
    },
    delete(token) {
      // Its slot stays: evicting an absent token later is a no-op.
      entries.delete(token);
    },
    clear() {
      entries.clear();
      slots.fill(undefined);
      next = 0;
    },
    get size() {
      return entries.size;
    },
  };
}
