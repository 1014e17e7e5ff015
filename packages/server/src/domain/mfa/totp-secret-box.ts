/**
 * TOTP secrets at rest. Unlike a password, a TOTP secret must be readable by the server, so it
 * is encrypted rather than hashed: AES-256-GCM (the sealing of `tokens/key-encryption.ts`) under
 * a key derived from PORTCULLIS_SECRET with HKDF-SHA256 and its own `info`, so it is a different
 * key from the one that seals signing keys (RFC 5869 §3.2: one IKM, independent keys per `info`).
 *
 * Every sealed secret is stored with the id of the key that sealed it (a fingerprint of the key,
 * which reveals nothing about it). That is what lets the server secret rotate: a box built with
 * the new secret and the old ones as `previousSecrets` opens secrets of either, seals only with
 * the new key, and `needsResealing` tells which rows to seal again.
 */
import { createHash, hkdfSync } from "node:crypto";
import { decryptSecretValue, encryptSecretValue } from "../tokens/key-encryption.js";

const KEY_LENGTH = 32;
const HKDF_SALT = "portcullis";
const HKDF_INFO = "totp-secrets/v1";

export interface SealedTotpSecret {
  /** Which key sealed it: `t1-` + 16 hex digits of the key's SHA-256. */
  keyId: string;
  /** `v1.<iv>.<tag>.<ciphertext>` (key-encryption.ts). */
  sealed: string;
}

export interface TotpSecretBox {
  /** The id of the key new secrets are sealed with. */
  readonly currentKeyId: string;
  seal(secret: Uint8Array): SealedTotpSecret;
  /** Throws when the key is unknown, or the value was altered. */
  open(value: SealedTotpSecret): Uint8Array;
  /** True when `value` was sealed with a key other than the current one. */
  needsResealing(value: SealedTotpSecret): boolean;
}

interface DerivedKey {
  id: string;
  key: Buffer;
}

/**
 * The TOTP key of a server secret: HKDF-SHA256, salt `"portcullis"`, info `"totp-secrets/v1"`.
 * @example const { id, key } = deriveTotpKey(config.secret);
 */
export function deriveTotpKey(serverSecret: string): DerivedKey {
  if (serverSecret.length === 0) throw new Error("deriveTotpKey: the secret must be a non-empty string");
  const key = Buffer.from(hkdfSync("sha256", serverSecret, HKDF_SALT, HKDF_INFO, KEY_LENGTH));
  return { id: `t1-${createHash("sha256").update(key).digest("hex").slice(0, 16)}`, key };
}

/**
 * @example
 * const box = createTotpSecretBox({ secret: config.secret });
 * const sealed = box.seal(secret); // store sealed.keyId and sealed.sealed
 * const again = box.open(sealed);
 */
export function createTotpSecretBox(options: {
  secret: string;
  previousSecrets?: readonly string[];
}): TotpSecretBox {
  const current = deriveTotpKey(options.secret);
  const keys = new Map<string, Buffer>([[current.id, current.key]]);
  for (const previous of options.previousSecrets ?? []) {
    const derived = deriveTotpKey(previous);
    if (!keys.has(derived.id)) keys.set(derived.id, derived.key);
  }
  return {
    currentKeyId: current.id,
    seal(secret) {
      return { keyId: current.id, sealed: encryptSecretValue(current.key, Buffer.from(secret)) };
    },
    open(value) {
      const key = keys.get(value.keyId);
      if (key === undefined) {
        throw new Error(
          `a TOTP secret was sealed with key ${value.keyId}, which this server secret does not derive`,
        );
      }
      return new Uint8Array(decryptSecretValue(key, value.sealed));
    },
    needsResealing: (value) => value.keyId !== current.id,
  };
}
