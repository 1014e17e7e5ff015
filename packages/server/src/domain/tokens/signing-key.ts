/**
 * Signing keys for access tokens: generation, and the shape the store persists. Asymmetric keys
 * are published as JWKs (RFC 7517) whose `kid` is their RFC 7638 thumbprint; private material
 * is kept only sealed (see `key-encryption.ts`). Each key is bound to exactly one JWS algorithm
 * (RFC 7518 §3; RFC 8725 §3.1), which is recorded with it and is what verification trusts —
 * never the `alg` a token claims.
 */
import type { JsonWebKey, KeyObject } from "node:crypto";
import { createHash, createPublicKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { encryptSecretValue } from "./key-encryption.js";

/** The JWS algorithms Portcullis signs access tokens with. */
export type SigningAlgorithm = "ES256" | "RS256" | "EdDSA" | "HS256";

/** Every {@link SigningAlgorithm}, for validating configuration. */
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = Object.freeze([
  "ES256",
  "RS256",
  "EdDSA",
  "HS256",
]);

/** The persisted shape (the store maps it to a row). */
export interface StoredSigningKey {
  /** Key id: the RFC 7638 thumbprint for asymmetric keys, 22 random base64url chars for HS256. */
  kid: string;
  alg: SigningAlgorithm;
  /** The public JWK with `kid`, `alg` and `use: "sig"`; `null` for HS256. */
  publicJwk: JsonWebKey | null;
  /** PKCS#8 DER (HS256: the raw secret), sealed with `encryptSecretValue`. */
  privateKeySealed: string;
  /** Milliseconds since the Unix epoch. */
  createdAt: number;
  /** Milliseconds; set when a newer key replaced it. */
  retiredAt: number | null;
}

/** Options for {@link generateSigningKey}. */
export interface GenerateSigningKeyOptions {
  /** Key-encryption key from `deriveKeyEncryptionKey`. */
  kek: Buffer;
  /** Creation time in milliseconds (from the injected clock). */
  now: number;
  /** RS256 only: modulus size in bits; default 3072, at least 3072, at most 8192. */
  rsaModulusLength?: number;
}

/** The `kid` format accepted everywhere: short, and safe in any URL, log line or query. */
export const KID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const MIN_RSA_BITS = 3072;
const MAX_RSA_BITS = 8192;
const HMAC_KEY_BYTES = 32;

/**
 * Generates a fresh signing key for `alg` and returns it ready to persist: ES256 on P-256,
 * EdDSA on Ed25519, RS256 with a modulus of at least 3072 bits, HS256 with 32 random bytes.
 *
 * @example
 * const key = generateSigningKey("ES256", { kek, now: clock.now() });
 * await signingKeyRepository.insert(key);
 */
export function generateSigningKey(
  alg: SigningAlgorithm,
  options: GenerateSigningKeyOptions,
): StoredSigningKey {
  if (!Number.isFinite(options.now)) {
    throw new Error("generateSigningKey: now must be a finite number of milliseconds");
  }
  const base = { createdAt: options.now, retiredAt: null };
  switch (alg) {
    case "HS256": {
      // RFC 8725 §3.5 and RFC 7518 §3.2: an HMAC key must be random and at least as long as the hash.
      const secret = randomBytes(HMAC_KEY_BYTES);
      const kid = randomBytes(16).toString("base64url");
      return {
        kid,
        alg,
        publicJwk: null,
        privateKeySealed: encryptSecretValue(options.kek, secret),
        ...base,
      };
    }
    case "ES256":
    case "EdDSA":
    case "RS256": {
      const { privateKey, publicKey } = generateKeyPair(alg, options.rsaModulusLength);
      const members = publicJwkMembers(publicKey);
      const kid = jwkThumbprint(members);
      const der = privateKey.export({ type: "pkcs8", format: "der" });
      return {
        kid,
        alg,
        publicJwk: { ...members, kid, alg, use: "sig" },
        privateKeySealed: encryptSecretValue(options.kek, der),
        ...base,
      };
    }
    default:
      throw new Error(`generateSigningKey: unsupported algorithm ${JSON.stringify(alg)}`);
  }
}

/**
 * The RFC 7638 thumbprint (SHA-256, base64url) of a public JWK: the hash of its required
 * members only, in lexicographic order, so any two serialisations of one key agree.
 *
 * @example
 * jwkThumbprint({ kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" });
 * // "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
 */
export function jwkThumbprint(jwk: JsonWebKey): string {
  let required: Record<string, unknown>;
  switch (jwk.kty) {
    case "EC":
      required = { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y };
      break;
    case "OKP":
      // RFC 8037 §2: the OKP thumbprint members are crv, kty and x.
      required = { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
      break;
    case "RSA":
      required = { e: jwk.e, kty: jwk.kty, n: jwk.n };
      break;
    default:
      throw new Error(`jwkThumbprint: unsupported key type ${JSON.stringify(jwk.kty)}`);
  }
  for (const [name, value] of Object.entries(required)) {
    if (typeof value !== "string" || value.length === 0) {
      throw new Error(`jwkThumbprint: member ${name} is missing`);
    }
  }
  return createHash("sha256").update(JSON.stringify(required)).digest("base64url");
}

/**
 * The public members of a key as a JWK (`kty` plus `crv`/`x`/`y` or `n`/`e`), nothing else:
 * what may be published. Accepts a public or a private `KeyObject`.
 *
 * @example
 * publicJwkMembers(privateKey); // { kty: "EC", crv: "P-256", x: "…", y: "…" }
 */
export function publicJwkMembers(key: KeyObject): JsonWebKey {
  if (key.type === "secret") {
    throw new Error("publicJwkMembers: a secret key has no public part");
  }
  const exported = (key.type === "public" ? key : createPublicKey(key)).export({ format: "jwk" });
  switch (exported.kty) {
    case "EC":
      return { kty: "EC", crv: member(exported, "crv"), x: member(exported, "x"), y: member(exported, "y") };
    case "OKP":
      return { kty: "OKP", crv: member(exported, "crv"), x: member(exported, "x") };
    case "RSA":
      return { kty: "RSA", n: member(exported, "n"), e: member(exported, "e") };
    default:
      throw new Error(`publicJwkMembers: unsupported key type ${JSON.stringify(exported.kty)}`);
  }
}

function member(jwk: JsonWebKey, name: string): string {
  const value = jwk[name];
  if (typeof value !== "string" || value.length === 0) {
    throw new Error(`publicJwkMembers: member ${name} is missing`);
  }
  return value;
}

/**
 * Why `key` cannot be used with `alg`, or `null` if it can. Binds each algorithm to exactly one
 * key type and size (RFC 8725 §3.1), so a key can never be driven through another algorithm.
 *
 * @example
 * checkKeyForAlgorithm("ES256", key); // null, or "expected an EC P-256 key"
 */
export function checkKeyForAlgorithm(alg: SigningAlgorithm, key: KeyObject): string | null {
  if (alg === "HS256") {
    if (key.type !== "secret") return "expected a secret key";
    // RFC 7518 §3.2: a key of the same size as the hash output or larger.
    return (key.symmetricKeySize ?? 0) >= HMAC_KEY_BYTES ? null : `expected at least ${HMAC_KEY_BYTES} bytes`;
  }
  if (key.type === "secret") return "expected an asymmetric key";
  const details = key.asymmetricKeyDetails ?? {};
  switch (alg) {
    case "ES256":
      return key.asymmetricKeyType === "ec" && details.namedCurve === "prime256v1"
        ? null
        : "expected an EC P-256 key";
    case "EdDSA":
      return key.asymmetricKeyType === "ed25519" ? null : "expected an Ed25519 key";
    case "RS256":
      if (key.asymmetricKeyType !== "rsa") return "expected an RSA key";
      return (details.modulusLength ?? 0) >= MIN_RSA_BITS
        ? null
        : `expected an RSA key of at least ${MIN_RSA_BITS} bits`;
    default:
      return `unsupported algorithm ${JSON.stringify(alg)}`;
  }
}

function generateKeyPair(
  alg: "ES256" | "EdDSA" | "RS256",
  rsaModulusLength: number | undefined,
): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (alg) {
    case "ES256":
      return generateKeyPairSync("ec", { namedCurve: "P-256" });
    case "EdDSA":
      return generateKeyPairSync("ed25519");
    case "RS256": {
      const bits = rsaModulusLength ?? MIN_RSA_BITS;
      // API.md and NIST SP 800-57 (112-bit security): RSA keys of at least 3072 bits. The upper
      // bound stops a typo (30720) from hanging start-up for minutes.
      if (!Number.isInteger(bits) || bits < MIN_RSA_BITS || bits > MAX_RSA_BITS || bits % 8 !== 0) {
        throw new Error(
          `generateSigningKey: rsaModulusLength must be a multiple of 8 between ${MIN_RSA_BITS} and ${MAX_RSA_BITS}, got ${bits}`,
        );
      }
      return generateKeyPairSync("rsa", { modulusLength: bits });
    }
  }
}
