/**
 * The in-memory key ring: the signing keys the server currently holds, opened once (decrypted
 * and turned into `KeyObject`s) so that signing and verifying never touch key material again.
 * It answers three questions: which key signs new tokens, which key verifies a given `kid`, and
 * what to publish as the JWK Set (RFC 7517 §5). Only keys of the one configured algorithm are
 * ever used (RFC 8725 §3.1); retired keys keep verifying until the store drops them (key rollover).
 */
import type { JsonWebKey, KeyObject } from "node:crypto";
import { createPrivateKey, createPublicKey, createSecretKey } from "node:crypto";
import { openWithAnyKey } from "./key-encryption.js";
import {
  checkKeyForAlgorithm,
  KID_PATTERN,
  publicJwkMembers,
  SIGNING_ALGORITHMS,
  type SigningAlgorithm,
  type StoredSigningKey,
} from "./signing-key.js";

/** The usable signing keys, opened. */
export interface KeyRing {
  /** The newest non-retired key of the configured algorithm: the one new tokens are signed with. */
  signingKey(): { kid: string; alg: SigningAlgorithm; key: KeyObject };
  /**
   * The key that verifies tokens carrying `kid` (a public key, or the secret for HS256), with the
   * one algorithm it is bound to; `undefined` for an unknown `kid`, with no fallback.
   */
  verificationKey(kid: string): { alg: SigningAlgorithm; key: KeyObject } | undefined;
  /** Public keys only; never HS256 keys. */
  jwks(): { keys: JsonWebKey[] };
  /** Swap in a fresh list (after a rotation or a reload); bumps version. */
  replace(keys: StoredSigningKey[]): void;
  /** Starts at 1 and grows by one on each successful `replace`; lets caches notice a change. */
  readonly version: number;
}

/** Options for {@link createKeyRing}. */
export interface KeyRingOptions {
  /** Key-encryption key from `deriveKeyEncryptionKey`. */
  kek: Buffer;
  /** Keys of previous secrets (PORTCULLIS_SECRET_PREVIOUS): rows they sealed still open. */
  previousKeks?: readonly Buffer[];
  /** The algorithm new tokens are signed with; keys of other algorithms are ignored. */
  algorithm: SigningAlgorithm;
  keys: StoredSigningKey[];
}

interface OpenedKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly createdAt: number;
  readonly retiredAt: number | null;
  readonly signing: { kid: string; alg: SigningAlgorithm; key: KeyObject };
  readonly verification: { alg: SigningAlgorithm; key: KeyObject };
  readonly publicJwk: JsonWebKey | null;
}

interface RingState {
  readonly current: OpenedKey;
  readonly byKid: ReadonlyMap<string, OpenedKey>;
  readonly jwks: readonly JsonWebKey[];
}

/**
 * Opens `keys` and returns the ring. Throws, listing every problem at once, when a key of the
 * configured algorithm cannot be opened (wrong secret, tampered row, wrong key type) or when no
 * non-retired key of that algorithm exists.
 *
 * @example
 * const ring = createKeyRing({ kek, algorithm: "ES256", keys: await store.listSigningKeys() });
 * ring.signingKey().kid;
 */
export function createKeyRing(options: KeyRingOptions): KeyRing {
  const { algorithm } = options;
  const keks = { current: options.kek, previous: options.previousKeks ?? [] };
  if (!SIGNING_ALGORITHMS.includes(algorithm)) {
    throw new Error(`createKeyRing: unsupported algorithm ${JSON.stringify(algorithm)}`);
  }
  let state = openKeys(keks, algorithm, options.keys);
  let version = 1;

  return {
    signingKey: () => state.current.signing,
    verificationKey: (kid) => (typeof kid === "string" ? state.byKid.get(kid)?.verification : undefined),
    // A deep copy: the caller may serialise or decorate it without touching the ring.
    jwks: () => ({ keys: structuredClone([...state.jwks]) }),
    replace(keys) {
      // Open everything before swapping, so a bad list leaves the ring as it was.
      state = openKeys(keks, algorithm, keys);
      version += 1;
    },
    get version() {
      return version;
    },
  };
}

type Keks = Parameters<typeof openWithAnyKey>[0];

function openKeys(keks: Keks, algorithm: SigningAlgorithm, keys: StoredSigningKey[]): RingState {
  if (!Array.isArray(keys)) throw new Error("createKeyRing: keys must be an array");
  const problems: string[] = [];
  const byKid = new Map<string, OpenedKey>();
  let ignored = 0;
  for (const stored of keys) {
    // RFC 8725 §3.1: each key is used with one algorithm only, and the ring serves one algorithm.
    if (stored.alg !== algorithm) {
      ignored += 1;
      continue;
    }
    const label = `signing key ${JSON.stringify(stored.kid)}`;
    if (byKid.has(stored.kid)) {
      problems.push(`${label}: duplicate kid`);
      continue;
    }
    try {
      byKid.set(stored.kid, openKey(keks, stored));
    } catch (error) {
      problems.push(`${label}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  let current: OpenedKey | undefined;
  for (const key of byKid.values()) {
    if (key.retiredAt === null && (current === undefined || key.createdAt >= current.createdAt))
      current = key;
  }
  if (current === undefined && problems.length === 0) {
    problems.push(
      `no usable ${algorithm} signing key: none is current (not retired)` +
        (ignored > 0 ? `; ${ignored} key(s) of other algorithms are ignored` : ""),
    );
  }
  if (current === undefined || problems.length > 0) {
    throw new Error(`createKeyRing: cannot build the key ring:\n- ${problems.join("\n- ")}`);
  }

  const newestFirst = [...byKid.values()].sort((a, b) => b.createdAt - a.createdAt);
  const jwks = newestFirst.flatMap((key) => (key.publicJwk === null ? [] : [key.publicJwk]));
  return { current, byKid, jwks };
}

function openKey(keks: Keks, stored: StoredSigningKey): OpenedKey {
  const { kid, alg } = stored;
  if (typeof kid !== "string" || !KID_PATTERN.test(kid)) throw new Error("kid has an invalid format");
  if (!Number.isFinite(stored.createdAt)) throw new Error("createdAt is not a number");
  if (stored.retiredAt !== null && !Number.isFinite(stored.retiredAt))
    throw new Error("retiredAt is not a number");

  const material = openWithAnyKey(keks, stored.privateKeySealed).plaintext;
  try {
    if (alg === "HS256") {
      // RFC 8725 §3.1 / API.md: a shared secret is never published.
      if (stored.publicJwk !== null) throw new Error("an HS256 key must not have a public JWK");
      const secret = createSecretKey(material);
      assertKeyFits(alg, secret);
      return opened(stored, secret, secret, null);
    }
    const privateKey = createPrivateKey({ key: material, format: "der", type: "pkcs8" });
    assertKeyFits(alg, privateKey);
    const publicKey = createPublicKey(privateKey);
    const members = publicJwkMembers(publicKey);
    // Publish what the private key really is, and refuse a row whose stored JWK disagrees:
    // otherwise the JWKS would advertise a key that does not match the signatures.
    for (const [name, value] of Object.entries(members)) {
      if (stored.publicJwk?.[name] !== value)
        throw new Error("the public JWK does not match the private key");
    }
    return opened(stored, privateKey, publicKey, { ...members, kid, alg, use: "sig" });
  } finally {
    material.fill(0);
  }
}

function opened(
  stored: StoredSigningKey,
  signKey: KeyObject,
  verifyKey: KeyObject,
  jwk: JsonWebKey | null,
): OpenedKey {
  const { kid, alg } = stored;
  return {
    kid,
    alg,
    createdAt: stored.createdAt,
    retiredAt: stored.retiredAt,
    signing: Object.freeze({ kid, alg, key: signKey }),
    verification: Object.freeze({ alg, key: verifyKey }),
    publicJwk: jwk,
  };
}

function assertKeyFits(alg: SigningAlgorithm, key: KeyObject): void {
  const problem = checkKeyForAlgorithm(alg, key);
  if (problem !== null) throw new Error(`not a valid ${alg} key: ${problem}`);
}
