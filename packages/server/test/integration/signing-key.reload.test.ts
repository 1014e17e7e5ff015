/**
 * Reloading signing keys must not disturb verification when nothing changed: replacing the key
 * ring clears the verifier's cache of verified tokens, so a periodic reload may only replace it
 * after a real rotation (found by the bench: the cache was emptied every 5 seconds).
 */
import { describe, expect, it } from "vitest";
import { createTestApp } from "../support/test-app.js";

describe("signing key reload", () => {
  it("keeps the key ring (and so the token cache) when no key changed, and swaps it after a rotation", async () => {
    const t = await createTestApp();
    try {
      const before = t.services.keyRing.version;
      await t.services.signingKeys.reload();
      await t.services.signingKeys.reload();
      expect(t.services.keyRing.version).toBe(before);

      await t.services.signingKeys.rotate();
      expect(t.services.keyRing.version).toBeGreaterThan(before);
    } finally {
      await t.close();
    }
  });
});
