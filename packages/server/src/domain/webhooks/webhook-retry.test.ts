import { describe, expect, it } from "vitest";
import { DEFAULT_WEBHOOK_RETRY_POLICY as policy, webhookRetryDelayMs } from "./webhook-retry.js";

describe("webhookRetryDelayMs", () => {
  it("doubles from 10 s up to an hour, between half and all of it", () => {
    const ceilings = [1, 2, 3, 4, 9, 10, 30, 1_000].map((attempts) =>
      webhookRetryDelayMs(attempts, policy, () => 1),
    );
    expect(ceilings).toEqual([10_000, 20_000, 40_000, 80_000, 2_560_000, 3_600_000, 3_600_000, 3_600_000]);
    expect(webhookRetryDelayMs(1, policy, () => 0)).toBe(5_000);
    expect(webhookRetryDelayMs(12, policy, () => 0)).toBe(1_800_000);
  });

  it("spreads retries with jitter", () => {
    const delays = new Set(Array.from({ length: 50 }, () => webhookRetryDelayMs(3, policy, Math.random)));
    expect(delays.size).toBeGreaterThan(10);
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(20_000);
      expect(delay).toBeLessThanOrEqual(40_000);
    }
  });

  it("keeps retrying for at least a day: more than twenty attempts fit before giving up", () => {
    let elapsed = 0;
    let attempts = 0;
    while (elapsed < policy.retryForMs) {
      attempts += 1;
      elapsed += webhookRetryDelayMs(attempts, policy, () => 1);
    }
    expect(attempts).toBeGreaterThan(20);
  });
});
