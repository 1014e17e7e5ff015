/**
 * The shape of an API key: `pc_<id>_<secret>`, where `id` is 12 and `secret` 43 random base62
 * characters (~71 and ~256 bits; everything after `pc_` is in the base64url alphabet, as API.md
 * asks). The `pc_<id>` part is the key's public prefix: it finds the stored key with one indexed
 * lookup, without scanning; the whole key is then compared by its SHA-256 in constant time.
 * A secret of 256 random bits needs no slow hash (ASVS 6.5.2: ≥ 112 bits may use a plain hash).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** Bytes at or above this would make `byte % 62` favour some characters; they are drawn again. */
const UNBIASED_LIMIT = 256 - (256 % BASE62.length);

export const API_KEY_ID_LENGTH = 12;
export const API_KEY_SECRET_LENGTH = 43;
const API_KEY = /^(pc_[0-9A-Za-z]{12})_[0-9A-Za-z]{43}$/;

export type RandomSource = (size: number) => Buffer;

/** `length` characters of base62 from a CSPRNG, without modulo bias. */
export function randomBase62(length: number, random: RandomSource = randomBytes): string {
  let out = "";
  while (out.length < length) {
    for (const byte of random(length * 2)) {
      if (byte < UNBIASED_LIMIT) out += BASE62[byte % BASE62.length];
      if (out.length === length) break;
    }
  }
  return out;
}

/**
 * A new key and its public prefix.
 * @example const { key, prefix } = generateApiKey(); // key "pc_3fK…_Q9z…", prefix "pc_3fK…"
 */
export function generateApiKey(random: RandomSource = randomBytes): { key: string; prefix: string } {
  const prefix = `pc_${randomBase62(API_KEY_ID_LENGTH, random)}`;
  return { key: `${prefix}_${randomBase62(API_KEY_SECRET_LENGTH, random)}`, prefix };
}

/** The prefix of a well-formed key; null for anything else (which then never reaches storage). */
export function apiKeyPrefix(presented: string): string | null {
  if (typeof presented !== "string" || presented.length > 64) return null;
  return API_KEY.exec(presented)?.[1] ?? null;
}

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** Compares the presented key's hash with the stored one in constant time (ASVS 11.2.4). */
export function apiKeyMatches(presented: string, storedHash: string): boolean {
  const actual = Buffer.from(hashApiKey(presented), "hex");
  const expected = Buffer.from(storedHash, "hex");
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
