/**
 * Rate-limit ports. The store layer implements them on `rate-limiter-flexible` (memory now,
 * Redis when configured); the domain only asks questions and records outcomes.
 */

/** Counts failures per key; blocks a key once it has used up its failures for the window. */
export interface FailureLimiter {
  /** Seconds until `key` may try again; 0 when it may try now. */
  retryAfter(key: string): Promise<number>;
  recordFailure(key: string): Promise<void>;
  clear(key: string): Promise<void>;
}

/** Counts every request per key. */
export interface RequestLimiter {
  /** Takes one request from the key's budget: 0 when allowed, else seconds until it may retry. */
  consume(key: string): Promise<number>;
}

/** A limiter for `off` settings: never blocks. */
export const unlimitedFailures: FailureLimiter = {
  retryAfter: async () => 0,
  recordFailure: async () => {},
  clear: async () => {},
};

export const unlimitedRequests: RequestLimiter = { consume: async () => 0 };
