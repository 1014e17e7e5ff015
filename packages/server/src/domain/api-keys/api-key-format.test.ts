/**
 * API keys look like `pc_` + a 12-character public id + `_` + a 43-character secret, all base62
 * (so everything after `pc_` is base64url, as API.md asks, with ≥ 32 random characters); the
 * prefix alone finds the key, and only the whole key's SHA-256 matches, in constant time.
 */
import { describe, expect, it } from "vitest";
import {
  API_KEY_ID_LENGTH,
  API_KEY_SECRET_LENGTH,
  apiKeyMatches,
  apiKeyPrefix,
  generateApiKey,
  hashApiKey,
  randomBase62,
} from "./api-key-format.js";

describe("generateApiKey", () => {
  it("makes pc_ + at least 32 random base62 characters, with its prefix at the start", () => {
    const { key, prefix } = generateApiKey();
    expect(key).toMatch(/^pc_[A-Za-z0-9_-]{32,}$/);
    expect(key).toMatch(
      new RegExp(`^pc_[0-9A-Za-z]{${API_KEY_ID_LENGTH}}_[0-9A-Za-z]{${API_KEY_SECRET_LENGTH}}$`),
    );
    expect(key.startsWith(`${prefix}_`)).toBe(true);
    expect(apiKeyPrefix(key)).toBe(prefix);
  });

  it("never makes the same key twice in a thousand", () => {
    const keys = new Set(Array.from({ length: 1000 }, () => generateApiKey().key));
    expect(keys.size).toBe(1000);
  });

  it("draws characters without modulo bias: bytes of 248 and above are skipped", () => {
    // 248 = 4 × 62: a byte ≥ 248 would favour the first eight characters.
    const bytes = [255, 248, 0, 61, 62, 247];
    let i = 0;
    const random = (size: number) =>
      Buffer.from(Array.from({ length: size }, () => bytes[i++ % bytes.length]!));
    expect(randomBase62(4, random)).toBe("0z0z");
  });
});

describe("apiKeyPrefix", () => {
  it.each([
    ["empty", ""],
    ["no pc_ prefix", "xx_AAAAAAAAAAAA_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
    ["short secret", "pc_AAAAAAAAAAAA_AAAA"],
    ["stray character", `pc_AAAAAAAAAAAA_${"A".repeat(42)}$`],
    ["padding", `pc_AAAAAAAAAAAA_${"A".repeat(43)}=`],
    ["very long", `pc_${"A".repeat(10_000)}`],
  ])("refuses a malformed key (%s) before any lookup", (_name, value) => {
    expect(apiKeyPrefix(value)).toBeNull();
  });
});

describe("apiKeyMatches", () => {
  it("accepts the key whose hash is stored and nothing else", () => {
    const { key } = generateApiKey();
    const stored = hashApiKey(key);
    expect(stored).toMatch(/^[0-9a-f]{64}$/);
    expect(stored).not.toContain(key);
    expect(apiKeyMatches(key, stored)).toBe(true);
    expect(apiKeyMatches(`${key.slice(0, -1)}${key.endsWith("A") ? "B" : "A"}`, stored)).toBe(false);
    expect(apiKeyMatches(key, "")).toBe(false);
    expect(apiKeyMatches(key, "not hex")).toBe(false);
  });
});
