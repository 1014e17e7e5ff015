/**
 * Encryption at rest for signing-key material. The store keeps private keys only in sealed form:
 * a key-encryption key (KEK) is derived from the server secret with HKDF-SHA256 (RFC 5869) and
 * each value is sealed with AES-256-GCM (NIST SP 800-38D), an AEAD, so a wrong secret or a
 * tampered row fails loudly instead of yielding a different key. Sealed values are the string
 * `v1.<iv>.<tag>.<ciphertext>`, each part base64url without padding (RFC 4648 §5).
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

const KEK_LENGTH = 32;
const IV_LENGTH = 12;
const TAG_LENGTH = 16;
const FORMAT_VERSION = "v1";
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Derives the 32-byte key-encryption key from the server secret (HKDF-SHA256, salt
 * `"portcullis"`, info `"signing-keys/v1"`). Deterministic: the same secret gives the same key,
 * which is what lets every instance open the keys another instance generated.
 *
 * @example
 * const kek = deriveKeyEncryptionKey(config.secret);
 */
export function deriveKeyEncryptionKey(secret: string): Buffer {
  if (typeof secret !== "string" || secret.length === 0) {
    throw new Error("deriveKeyEncryptionKey: the secret must be a non-empty string");
  }
  // The strength of the secret is checked where configuration is loaded; HKDF only spreads
  // whatever entropy it has into a key of the right size (RFC 5869 §3.3).
  return Buffer.from(hkdfSync("sha256", secret, "portcullis", "signing-keys/v1", KEK_LENGTH));
}

/**
 * Opens a value sealed under `current` or one of `previous` (secret rotation: the keys of
 * PORTCULLIS_SECRET_PREVIOUS). GCM authenticates, so a key that did not seal the value fails
 * rather than yield garbage, and trying the keys in turn is safe. Throws when none opens it.
 *
 * @returns the plaintext, and whether the current key sealed it (false: it should be sealed again)
 * @example
 * const { plaintext, current } = openWithAnyKey({ current: kek, previous: oldKeks }, row.privateKeySealed);
 */
export function openWithAnyKey(
  keys: { current: Buffer; previous: readonly Buffer[] },
  sealed: string,
): { plaintext: Buffer; current: boolean } {
  try {
    return { plaintext: decryptSecretValue(keys.current, sealed), current: true };
  } catch (error) {
    for (const key of keys.previous) {
      try {
        return { plaintext: decryptSecretValue(key, sealed), current: false };
      } catch {
        // Not this one; try the next.
      }
    }
    throw error;
  }
}

/**
 * Seals `plaintext` with AES-256-GCM under `kek` and a fresh random 12-byte IV.
 *
 * @returns `v1.<iv b64url>.<tag b64url>.<ciphertext b64url>`
 * @example
 * const sealed = encryptSecretValue(kek, privateKeyDer);
 */
export function encryptSecretValue(kek: Buffer, plaintext: Buffer): string {
  assertKek(kek);
  // A random 96-bit IV per value: GCM's security collapses if an IV repeats under one key
  // (SP 800-38D §8.3); the number of values sealed here stays far below the 2^32 bound.
  const iv = randomBytes(IV_LENGTH);
  const cipher = createCipheriv("aes-256-gcm", kek, iv, { authTagLength: TAG_LENGTH });
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [FORMAT_VERSION, b64url(iv), b64url(tag), b64url(ciphertext)].join(".");
}

/**
 * Opens a value sealed by {@link encryptSecretValue}. Throws if the format is wrong, the key
 * is not the one it was sealed with, or any part was altered.
 *
 * @example
 * const der = decryptSecretValue(kek, row.privateKeySealed);
 */
export function decryptSecretValue(kek: Buffer, sealed: string): Buffer {
  assertKek(kek);
  if (typeof sealed !== "string") {
    throw new Error("decryptSecretValue: the sealed value must be a string");
  }
  const parts = sealed.split(".");
  if (parts.length !== 4 || parts[0] !== FORMAT_VERSION) {
    throw new Error(`decryptSecretValue: not a ${FORMAT_VERSION} sealed value`);
  }
  const iv = decodeStrict(parts[1]);
  const tag = decodeStrict(parts[2]);
  const ciphertext = decodeStrict(parts[3]);
  if (iv?.length !== IV_LENGTH || tag?.length !== TAG_LENGTH || ciphertext === undefined) {
    throw new Error("decryptSecretValue: malformed sealed value");
  }
  // authTagLength pins the tag size: accepting a truncated tag would weaken authentication.
  const decipher = createDecipheriv("aes-256-gcm", kek, iv, { authTagLength: TAG_LENGTH });
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch (cause) {
    throw new Error("decryptSecretValue: authentication failed (wrong key or tampered value)", { cause });
  }
}

function assertKek(kek: Buffer): void {
  if (!Buffer.isBuffer(kek) || kek.length !== KEK_LENGTH) {
    throw new Error(`the key-encryption key must be a ${KEK_LENGTH}-byte Buffer`);
  }
}

function b64url(bytes: Buffer): string {
  return bytes.toString("base64url");
}

/** Node's decoder skips characters it does not know; a sealed value must be exact. */
function decodeStrict(part: string | undefined): Buffer | undefined {
  if (part === undefined || !BASE64URL.test(part)) return undefined;
  const bytes = Buffer.from(part, "base64url");
  return bytes.toString("base64url") === part ? bytes : undefined;
}
