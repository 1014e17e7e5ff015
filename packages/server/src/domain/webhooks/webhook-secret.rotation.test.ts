/** Secret rotation for webhook secrets: old ones open with the previous secret, new ones use the current key. */
import { describe, expect, it } from "vitest";
import { createWebhookSecretBox, generateWebhookSecret } from "./webhook-secret.js";

const OLD = "old-secret-0123456789-abcdefghijklmnopqrstuv";
const NEW = "new-secret-9876543210-zyxwvutsrqponmlkjihgfe";

describe("createWebhookSecretBox › previous secrets", () => {
  it("opens what a previous secret sealed, and says it needs sealing again", () => {
    const secret = generateWebhookSecret();
    const old = createWebhookSecretBox({ secret: OLD }).seal(secret);
    const rotated = createWebhookSecretBox({ secret: NEW, previousSecrets: [OLD] });

    expect(rotated.open(old)).toBe(secret);
    expect(rotated.needsResealing(old)).toBe(true);
    const resealed = rotated.seal(rotated.open(old));
    expect(resealed.keyId).toBe(rotated.currentKeyId);
    expect(resealed.keyId).not.toBe(old.keyId);
    expect(rotated.needsResealing(resealed)).toBe(false);
    expect(createWebhookSecretBox({ secret: NEW }).open(resealed)).toBe(secret);
  });

  it("without the previous secret, refuses what it sealed", () => {
    const old = createWebhookSecretBox({ secret: OLD }).seal(generateWebhookSecret());
    expect(() => createWebhookSecretBox({ secret: NEW }).open(old)).toThrow(/does not derive/);
  });

  it("refuses a value that claims the current key but was sealed by another", () => {
    const rotated = createWebhookSecretBox({ secret: NEW, previousSecrets: [OLD] });
    const old = createWebhookSecretBox({ secret: OLD }).seal(generateWebhookSecret());
    expect(() => rotated.open({ keyId: rotated.currentKeyId, sealed: old.sealed })).toThrow(
      /authentication failed/,
    );
  });
});
