/** The resealers of secret rotation: each opens with any configured key and seals with the current one. */
import { describe, expect, it } from "vitest";
import { createTotpSecretBox } from "../mfa/totp-secret-box.js";
import { decryptSecretValue, deriveKeyEncryptionKey, encryptSecretValue } from "../tokens/key-encryption.js";
import { createWebhookSecretBox, generateWebhookSecret } from "../webhooks/webhook-secret.js";
import { signingKeyResealer, totpSecretResealer, webhookSecretResealer } from "./secret-reseal.js";

const OLD = "old-secret-0123456789-abcdefghijklmnopqrstuv";
const NEW = "new-secret-9876543210-zyxwvutsrqponmlkjihgfe";
const LOST = "lost-secret-1357924680-acegikmoqsuwybdfhjlnp";

describe("signingKeyResealer", () => {
  const keks = { current: deriveKeyEncryptionKey(NEW), previous: [deriveKeyEncryptionKey(OLD)] };
  const resealer = signingKeyResealer(keks);

  it("seals a key of the previous secret again under the current one", () => {
    const material = Buffer.from("private key material");
    const to = resealer.reseal({
      keyId: null,
      sealed: encryptSecretValue(deriveKeyEncryptionKey(OLD), material),
    });
    if (to === "current") throw new Error("expected a new sealed value");
    expect(to.keyId).toBeNull();
    expect(decryptSecretValue(deriveKeyEncryptionKey(NEW), to.sealed)).toEqual(material);
  });

  it("leaves a key the current secret sealed as it is, and throws for one no secret opens", () => {
    const current = encryptSecretValue(keks.current, Buffer.from("k"));
    expect(resealer.reseal({ keyId: null, sealed: current })).toBe("current");
    const lost = encryptSecretValue(deriveKeyEncryptionKey(LOST), Buffer.from("k"));
    expect(() => resealer.reseal({ keyId: null, sealed: lost })).toThrow();
  });
});

describe("totpSecretResealer", () => {
  const resealer = totpSecretResealer(createTotpSecretBox({ secret: NEW, previousSecrets: [OLD] }));

  it("seals a TOTP secret of the previous secret under the current key, which alone then opens it", () => {
    const secret = new Uint8Array(20).fill(3);
    const to = resealer.reseal(createTotpSecretBox({ secret: OLD }).seal(secret));
    if (to === "current") throw new Error("expected a new sealed value");
    expect(createTotpSecretBox({ secret: NEW }).open({ keyId: to.keyId ?? "", sealed: to.sealed })).toEqual(
      secret,
    );
    expect(resealer.reseal(to)).toBe("current");
  });
});

describe("webhookSecretResealer", () => {
  const resealer = webhookSecretResealer(createWebhookSecretBox({ secret: NEW, previousSecrets: [OLD] }));

  it("seals a webhook secret of the previous secret under the current key", () => {
    const secret = generateWebhookSecret();
    const to = resealer.reseal(createWebhookSecretBox({ secret: OLD }).seal(secret));
    if (to === "current") throw new Error("expected a new sealed value");
    expect(createWebhookSecretBox({ secret: NEW }).open({ keyId: to.keyId ?? "", sealed: to.sealed })).toBe(
      secret,
    );
    expect(resealer.reseal(to)).toBe("current");
  });

  it("throws for a webhook secret no configured secret opens", () => {
    const lost = createWebhookSecretBox({ secret: LOST }).seal(generateWebhookSecret());
    expect(() => resealer.reseal(lost)).toThrow(/does not derive/);
  });
});
