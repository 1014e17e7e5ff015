/**
 * Secrets of confidential OAuth clients (RFC 6749 §2.3.1): 32 random bytes, base64url (256
 * bits). Only their SHA-256 is stored: a secret of 256 random bits needs no slow hash (ASVS
 * 6.5.2: ≥ 112 bits may use a plain hash), and a stolen database yields no usable secret.
 * A presented secret is checked by comparing the two digests in constant time (ASVS 11.2.4), so
 * the time taken says nothing about how much of it was right.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export const CLIENT_SECRET_BYTES = 32;

export type RandomSource = (size: number) => Buffer;

/**
 * A new client secret, shown once.
 * @example generateClientSecret() // "3q2-7wYn…" (43 characters)
 */
export function generateClientSecret(random: RandomSource = randomBytes): string {
  return random(CLIENT_SECRET_BYTES).toString("base64url");
}

/**
 * What is stored for a secret: its SHA-256, hex. The provider hashes what a client presents
 * with this same function.
 * @example hashClientSecret("s3cret") // "a1b2…" (64 hex characters)
 */
export function hashClientSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Whether `presented` is the secret whose hash is `storedHash`, in constant time.
 * @example verifyClientSecret(secret, client.secretHash) // true
 */
export function verifyClientSecret(presented: string, storedHash: string): boolean {
  if (typeof presented !== "string" || typeof storedHash !== "string" || !SHA256_HEX.test(storedHash)) {
    return false;
  }
  const actual = createHash("sha256").update(presented, "utf8").digest();
  return timingSafeEqual(actual, Buffer.from(storedHash, "hex"));
}
