/**
 * Invariant: TOTP secrets are stored only sealed (AES-256-GCM) under a key of their own, derived
 * from PORTCULLIS_SECRET with HKDF and an `info` no other key uses; each sealed secret names its
 * key, so a server secret can rotate (old secrets open with the previous key, new ones seal with
 * the new one), and a wrong key or an altered value fails loudly instead of yielding a secret.
 */
import { describe, expect, it } from "vitest";
import { deriveKeyEncryptionKey } from "../tokens/key-encryption.js";
import { createTotpSecretBox, deriveTotpKey } from "./totp-secret-box.js";

const SECRET = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
const NEXT_SECRET = "rotated-secret-9876543210-ZYXWVUTSRQPONMLKJIHGFEDCBA";
const totpSecret = new Uint8Array(Buffer.from("12345678901234567890", "ascii"));

describe("TOTP secret box", () => {
  it("seals and opens a secret, and the sealed form holds no plaintext", () => {
    const box = createTotpSecretBox({ secret: SECRET });
    const sealed = box.seal(totpSecret);
    expect(sealed.sealed).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(sealed.sealed).not.toContain(Buffer.from(totpSecret).toString("base64url"));
    expect(Buffer.from(box.open(sealed)).equals(Buffer.from(totpSecret))).toBe(true);
    expect(box.seal(totpSecret).sealed).not.toBe(sealed.sealed);
  });

  it("derives a key of its own, not the signing keys' key", () => {
    const totpKey = deriveTotpKey(SECRET);
    expect(totpKey.key.equals(deriveKeyEncryptionKey(SECRET))).toBe(false);
    expect(totpKey.id).toMatch(/^t1-[0-9a-f]{16}$/);
    expect(deriveTotpKey(SECRET).id).toBe(totpKey.id);
    expect(deriveTotpKey(NEXT_SECRET).id).not.toBe(totpKey.id);
  });

  it("names the key in every sealed secret, and opens old ones after the server secret rotates", () => {
    const old = createTotpSecretBox({ secret: SECRET }).seal(totpSecret);
    const rotated = createTotpSecretBox({ secret: NEXT_SECRET, previousSecrets: [SECRET] });
    expect(old.keyId).toBe(deriveTotpKey(SECRET).id);
    expect(rotated.needsResealing(old)).toBe(true);
    expect(Buffer.from(rotated.open(old)).equals(Buffer.from(totpSecret))).toBe(true);
    const resealed = rotated.seal(rotated.open(old));
    expect(resealed.keyId).toBe(deriveTotpKey(NEXT_SECRET).id);
    expect(rotated.needsResealing(resealed)).toBe(false);
  });

  it("refuses a secret of an unknown key, one claiming the wrong key, and an altered one", () => {
    const sealed = createTotpSecretBox({ secret: SECRET }).seal(totpSecret);
    const other = createTotpSecretBox({ secret: NEXT_SECRET });
    expect(() => other.open(sealed)).toThrow(/not derive/);
    expect(() => other.open({ ...sealed, keyId: other.currentKeyId })).toThrow(/authentication failed/);
    const parts = sealed.sealed.split(".");
    const tampered = [...parts.slice(0, 3), `${parts[3]?.startsWith("A") ? "B" : "A"}${parts[3]?.slice(1)}`];
    expect(() =>
      createTotpSecretBox({ secret: SECRET }).open({ ...sealed, sealed: tampered.join(".") }),
    ).toThrow();
  });
});
