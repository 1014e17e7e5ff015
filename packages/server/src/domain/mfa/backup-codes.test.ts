/**
 * Invariant: backup codes come ten at a time from the CSPRNG with 120 bits each — above the
 * 112 bits for which ASVS 6.5.2 allows a plain hash — are stored only as SHA-256, and read back
 * forgivingly (case, spaces, dashes, the letters Crockford base32 maps to digits).
 */
import { describe, expect, it } from "vitest";
import {
  BACKUP_CODE_COUNT,
  generateBackupCodes,
  hashBackupCode,
  normalizeBackupCode,
} from "./backup-codes.js";

describe("backup codes", () => {
  it("makes ten distinct codes of six groups of four base32 characters (120 bits)", () => {
    const { codes, hashes } = generateBackupCodes();
    expect(codes).toHaveLength(BACKUP_CODE_COUNT);
    expect(new Set(codes).size).toBe(BACKUP_CODE_COUNT);
    for (const code of codes) expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){5}$/);
    // 24 characters of a 32-letter alphabet: 24 × 5 = 120 bits.
    expect((codes[0] ?? "").replaceAll("-", "").length * Math.log2(32)).toBeGreaterThanOrEqual(112);
    expect(hashes).toEqual(codes.map((code) => hashBackupCode(normalizeBackupCode(code) ?? "")));
    expect(hashes.every((hash) => /^[0-9a-f]{64}$/.test(hash))).toBe(true);
  });

  it("never repeats codes across batches", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) for (const code of generateBackupCodes().codes) seen.add(code);
    expect(seen.size).toBe(50 * BACKUP_CODE_COUNT);
  });

  it("reads codes regardless of case, spaces, dashes and look-alike letters", () => {
    const code = generateBackupCodes().codes[0] ?? "";
    const plain = code.replaceAll("-", "");
    expect(normalizeBackupCode(code.toUpperCase())).toBe(plain);
    expect(normalizeBackupCode(` ${plain.slice(0, 12)} ${plain.slice(12)} `)).toBe(plain);
    expect(normalizeBackupCode("0000-1111-0000-1111-0000-1111")).toBe(
      normalizeBackupCode("OOOO-IIII-oooo-llll-0000-1111"),
    );
  });

  it("refuses what cannot be a code", () => {
    for (const bad of ["", "123456", "abcd-efgh", "u".repeat(24), `${"a".repeat(24)}b`]) {
      expect(normalizeBackupCode(bad)).toBeNull();
    }
  });
});
