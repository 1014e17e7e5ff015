import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decryptSecretValue, deriveKeyEncryptionKey, encryptSecretValue } from "./key-encryption.js";

const SEALED_FORMAT = /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]*$/;

describe("deriveKeyEncryptionKey", () => {
  it("is HKDF-SHA256 with salt 'portcullis' and info 'signing-keys/v1', 32 bytes", () => {
    // RFC 5869 by hand: PRK = HMAC(salt, IKM); T(1) = HMAC(PRK, info || 0x01), which is 32 bytes.
    const prk = createHmac("sha256", "portcullis").update("s3cret").digest();
    const t1 = createHmac("sha256", prk)
      .update(Buffer.concat([Buffer.from("signing-keys/v1"), Buffer.from([1])]))
      .digest();
    expect(deriveKeyEncryptionKey("s3cret").equals(t1)).toBe(true);
  });

  it("gives the same key for the same secret and another key for another secret", () => {
    expect(deriveKeyEncryptionKey("one").equals(deriveKeyEncryptionKey("one"))).toBe(true);
    expect(deriveKeyEncryptionKey("one").equals(deriveKeyEncryptionKey("two"))).toBe(false);
  });

  it("refuses an empty secret", () => {
    expect(() => deriveKeyEncryptionKey("")).toThrow(/non-empty/);
  });
});

describe("encryptSecretValue / decryptSecretValue", () => {
  const kek = deriveKeyEncryptionKey("kek for tests");

  it("round-trips, including an empty value", () => {
    for (const plaintext of [Buffer.from("private key bytes"), Buffer.alloc(0), Buffer.alloc(4096, 0xab)]) {
      const sealed = encryptSecretValue(kek, plaintext);
      expect(sealed).toMatch(SEALED_FORMAT);
      expect(decryptSecretValue(kek, sealed).equals(plaintext)).toBe(true);
    }
  });

  it("uses a fresh IV each time", () => {
    const a = encryptSecretValue(kek, Buffer.from("same"));
    const b = encryptSecretValue(kek, Buffer.from("same"));
    expect(a.split(".")[1]).not.toBe(b.split(".")[1]);
    expect(a).not.toBe(b);
  });

  it("throws with the wrong key", () => {
    const sealed = encryptSecretValue(kek, Buffer.from("secret"));
    expect(() => decryptSecretValue(deriveKeyEncryptionKey("another secret"), sealed)).toThrow(
      /authentication failed/,
    );
  });

  it("throws when any part was tampered with", () => {
    const sealed = encryptSecretValue(kek, Buffer.from("a secret value of some length"));
    const [version, iv, tag, ciphertext] = sealed.split(".") as [string, string, string, string];
    const flip = (part: string) => {
      const bytes = Buffer.from(part, "base64url");
      bytes[0] = (bytes[0] ?? 0) ^ 1;
      return bytes.toString("base64url");
    };
    for (const tampered of [
      [version, flip(iv), tag, ciphertext],
      [version, iv, flip(tag), ciphertext],
      [version, iv, tag, flip(ciphertext)],
      [version, iv, tag, `${ciphertext}AA`],
    ]) {
      expect(() => decryptSecretValue(kek, tampered.join("."))).toThrow();
    }
  });

  it("refuses malformed values: other version, truncated tag, extra parts, non-base64url", () => {
    const sealed = encryptSecretValue(kek, Buffer.from("x"));
    const [, iv, tag, ciphertext] = sealed.split(".") as [string, string, string, string];
    const malformed = [
      `v2.${iv}.${tag}.${ciphertext}`,
      `v1.${iv}.${tag.slice(0, 11)}.${ciphertext}`,
      `v1.${iv}.${tag}.${ciphertext}.extra`,
      `v1.${iv}.${tag}`,
      `v1.${iv}.${tag}.${ciphertext}=`,
      `v1.${iv}.${tag}.+/+/`,
      "",
    ];
    for (const value of malformed) {
      expect(() => decryptSecretValue(kek, value)).toThrow();
    }
  });

  it("refuses a key-encryption key that is not 32 bytes", () => {
    expect(() => encryptSecretValue(Buffer.alloc(16), Buffer.from("x"))).toThrow(/32-byte/);
    expect(() => decryptSecretValue(Buffer.alloc(31), "v1.a.b.c")).toThrow(/32-byte/);
  });
});
