/**
 * Short-lived, one-time state: MFA login tokens and their attempt counters, WebAuthn challenges,
 * OAuth `state`, one-time exchange codes. In this process's memory on a single instance; in Redis
 * (REDIS_URL) when instances must share it. Nothing here outlives its TTL or needs a backup.
 *
 * Keys are namespaced by the caller (`mfa:`, `webauthn:`, `oauth:` …); values are strings
 * (callers JSON-encode). Every operation is atomic on its key, across instances when shared.
 */
export interface EphemeralStore {
  /** Stores `value` for `ttlMs` unless the key exists; true when this call stored it. */
  putIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Stores (or replaces) `value` for `ttlMs`. */
  put(key: string, value: string, ttlMs: number): Promise<void>;
  get(key: string): Promise<string | undefined>;
  /** Reads and deletes in one step: of many concurrent callers, exactly one gets the value. */
  take(key: string): Promise<string | undefined>;
  /** Adds one to a counter (created at 1 with `ttlMs`; the TTL is not extended); returns the new count. */
  increment(key: string, ttlMs: number): Promise<number>;
  delete(key: string): Promise<void>;
}
