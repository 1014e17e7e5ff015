/**
 * When a failed webhook delivery is tried again, and when it and its endpoint are given up.
 * Exponential backoff with "equal jitter" (half the delay fixed, half random), so that the
 * deliveries of an endpoint that came back do not all arrive in the same second, capped at an
 * hour, for at least a day; an endpoint that has failed for a day without one success is turned off.
 */

export interface WebhookRetryPolicy {
  /** The delay ceiling after the first failure; it doubles with each further one. */
  firstDelayMs: number;
  maxDelayMs: number;
  /** A delivery is retried for at least this long after it was queued, then marked failed. */
  retryForMs: number;
  /** An endpoint failing for this long, when one of its deliveries is given up, is disabled. */
  disableAfterMs: number;
}

export const DEFAULT_WEBHOOK_RETRY_POLICY: WebhookRetryPolicy = Object.freeze({
  firstDelayMs: 10_000,
  maxDelayMs: 3_600_000,
  retryForMs: 24 * 3_600_000,
  disableAfterMs: 24 * 3_600_000,
});

/**
 * The delay before the attempt after `attempts` failed ones: between half and all of
 * `firstDelayMs · 2^(attempts−1)`, capped at `maxDelayMs`. `random` returns [0, 1).
 * @example webhookRetryDelayMs(1, DEFAULT_WEBHOOK_RETRY_POLICY, Math.random) // 5 000 – 10 000
 */
export function webhookRetryDelayMs(
  attempts: number,
  policy: WebhookRetryPolicy,
  random: () => number,
): number {
  const exponent = Math.min(Math.max(0, attempts - 1), 30);
  const ceiling = Math.min(policy.firstDelayMs * 2 ** exponent, policy.maxDelayMs);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
