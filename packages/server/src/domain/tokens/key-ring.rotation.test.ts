/**
 * Secret rotation for signing keys: a ring given the keys of previous secrets opens rows they
 * sealed (tokens keep verifying), new keys are sealed with the current one only, and without the
 * previous keys the ring refuses to build.
 */
import { describe, expect, it } from "vitest";
import {
  decryptSecretValue,
  deriveKeyEncryptionKey,
  encryptSecretValue,
  openWithAnyKey,
} from "./key-encryption.js";
import { createKeyRing } from "./key-ring.js";
import { generateSigningKey } from "./signing-key.js";

const OLD = deriveKeyEncryptionKey("old-secret-0123456789-abcdefghijklmnopqrstuv");
const NEW = deriveKeyEncryptionKey("new-secret-9876543210-zyxwvutsrqponmlkjihgfe");
const OTHER = deriveKeyEncryptionKey("other-secret-1357924680-acegikmoqsuwybdfhjln");

describe("openWithAnyKey", () => {
  it("opens with the current key and says so", () => {
    const opened = openWithAnyKey(
      { current: NEW, previous: [OLD] },
      encryptSecretValue(NEW, Buffer.from("k")),
    );
    expect(opened).toEqual({ plaintext: Buffer.from("k"), current: true });
  });

  it("opens with a previous key and says it is not the current one", () => {
    const sealed = encryptSecretValue(OLD, Buffer.from("k"));
    const opened = openWithAnyKey({ current: NEW, previous: [OTHER, OLD] }, sealed);
    expect(opened).toEqual({ plaintext: Buffer.from("k"), current: false });
  });

  it("throws when no key opens it", () => {
    const sealed = encryptSecretValue(OTHER, Buffer.from("k"));
    expect(() => openWithAnyKey({ current: NEW, previous: [OLD] }, sealed)).toThrow(/authentication failed/);
  });
});

describe("createKeyRing › previous key-encryption keys", () => {
  const now = Date.UTC(2026, 0, 1);

  it("opens keys sealed under a previous secret and verifies with them", () => {
    const retired = { ...generateSigningKey("ES256", { kek: OLD, now: now - 1000 }), retiredAt: now };
    const current = generateSigningKey("ES256", { kek: NEW, now });

    const ring = createKeyRing({
      kek: NEW,
      previousKeks: [OLD],
      algorithm: "ES256",
      keys: [retired, current],
    });

    expect(ring.signingKey().kid).toBe(current.kid);
    expect(ring.verificationKey(retired.kid)).toBeDefined();
    expect(ring.jwks().keys.map((key) => key.kid)).toEqual([current.kid, retired.kid]);
  });

  it("refuses to build without the previous key, naming the key it cannot open", () => {
    const sealedUnderOld = generateSigningKey("ES256", { kek: OLD, now });
    expect(() => createKeyRing({ kek: NEW, algorithm: "ES256", keys: [sealedUnderOld] })).toThrow(
      new RegExp(sealedUnderOld.kid),
    );
  });

  it("seals nothing with a previous key: a generated key opens with the current one alone", () => {
    const key = generateSigningKey("EdDSA", { kek: NEW, now });
    expect(() => decryptSecretValue(NEW, key.privateKeySealed)).not.toThrow();
    expect(() => decryptSecretValue(OLD, key.privateKeySealed)).toThrow();
  });
});
