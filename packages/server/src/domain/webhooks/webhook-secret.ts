/**
 * Webhook signing secrets and signatures (Standard Webhooks specification, "Signature scheme").
 *
 * A secret is `whsec_` + base64 of 32 random bytes; the HMAC key is the decoded bytes. Unlike an
 * API key it must be readable again to sign, so it is stored sealed, not hashed: AES-256-GCM
 * (tokens/key-encryption.ts) under a key derived from PORTCULLIS_SECRET with HKDF-SHA256 and its
 * own `info`, independent of the keys that seal signing keys and TOTP secrets (RFC 5869 §3.2).
 * Each sealed secret carries the id of its key, a fingerprint that reveals nothing about it, so
 * the server secret can rotate: a box given the old secrets as `previousSecrets` opens what they
 * sealed, seals only with the current key, and `needsResealing` names what to seal again.
 */
import { createHash, createHmac, hkdfSync, randomBytes } from "node:crypto";
import { decryptSecretValue, encryptSecretValue } from "../tokens/key-encryption.js";

export const WEBHOOK_SECRET_PREFIX = "whsec_";
/** The specification asks for 24 to 64 bytes. */
const SECRET_BYTES = 32;
const KEY_LENGTH = 32;
const HKDF_SALT = "portcullis";
const HKDF_INFO = "webhook-secrets/v1";

export interface SealedWebhookSecret {
  /** Which key sealed it: `w1-` + 16 hex digits of the key's SHA-256. */
  keyId: string;
  /** `v1.<iv>.<tag>.<ciphertext>` (key-encryption.ts). */
  sealed: string;
}

export interface WebhookSecretBox {
  /** The id of the key new secrets are sealed with. */
  readonly currentKeyId: string;
  seal(secret: string): SealedWebhookSecret;
  /** Throws when the key is unknown or the value was altered. */
  open(value: SealedWebhookSecret): string;
  /** True when `value` was sealed with a key other than the current one. */
  needsResealing(value: SealedWebhookSecret): boolean;
}

/**
 * A fresh secret: `whsec_` + base64 of 32 random bytes.
 * @example generateWebhookSecret() // "whsec_3q2+7w…="
 */
export function generateWebhookSecret(random: (size: number) => Buffer = randomBytes): string {
  return `${WEBHOOK_SECRET_PREFIX}${random(SECRET_BYTES).toString("base64")}`;
}

/** The webhook key of a server secret: HKDF-SHA256, salt `"portcullis"`, info `"webhook-secrets/v1"`. */
function deriveWebhookKey(serverSecret: string): { id: string; key: Buffer } {
  if (serverSecret.length === 0) throw new Error("createWebhookSecretBox: the secret must be non-empty");
  const key = Buffer.from(hkdfSync("sha256", serverSecret, HKDF_SALT, HKDF_INFO, KEY_LENGTH));
  return { id: `w1-${createHash("sha256").update(key).digest("hex").slice(0, 16)}`, key };
}

/**
 * @example
 * const box = createWebhookSecretBox({ secret: config.secret, previousSecrets: config.previousSecrets });
 * const sealed = box.seal(generateWebhookSecret()); // store sealed.keyId and sealed.sealed
 */
export function createWebhookSecretBox(options: {
  secret: string;
  previousSecrets?: readonly string[];
}): WebhookSecretBox {
  const current = deriveWebhookKey(options.secret);
  const keys = new Map<string, Buffer>([[current.id, current.key]]);
  for (const previous of options.previousSecrets ?? []) {
    const derived = deriveWebhookKey(previous);
    if (!keys.has(derived.id)) keys.set(derived.id, derived.key);
  }
  return {
    currentKeyId: current.id,
    seal: (secret) => ({
      keyId: current.id,
      sealed: encryptSecretValue(current.key, Buffer.from(secret, "utf8")),
    }),
    open(value) {
      const key = keys.get(value.keyId);
      if (key === undefined) {
        throw new Error(
          `a webhook secret was sealed with key ${value.keyId}, which this server secret does not derive`,
        );
      }
      return decryptSecretValue(key, value.sealed).toString("utf8");
    },
    needsResealing: (value) => value.keyId !== current.id,
  };
}

/**
 * The `webhook-signature` value: `v1,` + base64 HMAC-SHA256, keyed with the base64-decoded part
 * after `whsec_`, over `{webhook-id}.{webhook-timestamp}.{body}`.
 * @example signWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}')
 * // "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
 */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) throw new Error("signWebhook: not a whsec_ secret");
  const key = Buffer.from(secret.slice(WEBHOOK_SECRET_PREFIX.length), "base64");
  const mac = createHmac("sha256", key).update(`${id}.${timestampSeconds}.${body}`, "utf8").digest("base64");
  return `v1,${mac}`;
}
