/**
 * Client secrets carry 256 random bits, are stored as their SHA-256 only, and a presented secret
 * is accepted only when its digest equals the stored one (compared in constant time); nothing
 * malformed makes the check throw or pass.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  CLIENT_SECRET_BYTES,
  generateClientSecret,
  hashClientSecret,
  verifyClientSecret,
} from "./client-secret.js";

describe("generateClientSecret", () => {
  it("encodes 32 bytes of the random source as base64url", () => {
    const sizes: number[] = [];
    const bytes = Buffer.alloc(CLIENT_SECRET_BYTES, 0xfb);
    const secret = generateClientSecret((size) => {
      sizes.push(size);
      return bytes;
    });
    expect(sizes).toEqual([32]);
    expect(secret).toBe(bytes.toString("base64url"));
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("gives a different secret each time from the system's random source", () => {
    const secrets = new Set(Array.from({ length: 50 }, () => generateClientSecret()));
    expect(secrets.size).toBe(50);
    for (const secret of secrets) expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe("hashClientSecret", () => {
  it("is the SHA-256 of the secret, in lower-case hex", () => {
    expect(hashClientSecret("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const secret = generateClientSecret();
    expect(hashClientSecret(secret)).toBe(createHash("sha256").update(secret).digest("hex"));
    expect(hashClientSecret(secret)).not.toContain(secret);
  });
});

describe("verifyClientSecret", () => {
  const secret = generateClientSecret();
  const stored = hashClientSecret(secret);

  it("accepts the secret whose hash is stored", () => {
    expect(verifyClientSecret(secret, stored)).toBe(true);
  });

  it("refuses another secret, one differing in its last character, a prefix, and the empty string", () => {
    const last = secret.at(-1) === "A" ? "B" : "A";
    for (const wrong of [generateClientSecret(), `${secret.slice(0, -1)}${last}`, secret.slice(0, 20), ""]) {
      expect(verifyClientSecret(wrong, stored), wrong).toBe(false);
    }
  });

  it("refuses the stored hash presented as the secret", () => {
    expect(verifyClientSecret(stored, stored)).toBe(false);
  });

  it("answers false, without throwing, for a stored value that is not a SHA-256 hex digest", () => {
    for (const broken of [
      "",
      "zz",
      stored.slice(0, 62),
      `${stored}00`,
      stored.toUpperCase(),
      "g".repeat(64),
    ]) {
      expect(verifyClientSecret(secret, broken), broken).toBe(false);
    }
    expect(verifyClientSecret(undefined as unknown as string, stored)).toBe(false);
  });
});
