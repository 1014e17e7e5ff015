/**
 * Portcullis's public signing keys (RFC 7517 JWKS), fetched with `jose.createRemoteJWKSet` and
 * opened once as node:crypto `KeyObject`s, so that verifying a token never does I/O nor
 * WebCrypto. Each key is bound to the one algorithm its JWK names (RFC 8725 §3.1): the token's
 * `alg` must match it, and the key's type must fit it. The set is fetched again when a token
 * names an unknown `kid` (a rotation), at most once per cooldown whatever tokens arrive (a forged
 * `kid` cannot make us hammer Portcullis), and in the background when it is older than its
 * maximum age (so a withdrawn key stops being trusted).
 */
import { type KeyObject, KeyObject as KeyObjects } from "node:crypto";
// The `kid` format Portcullis issues; a published key with another is ignored.
import { KID_PATTERN } from "@portcullis/token-verifier";
import { createRemoteJWKSet, importJWK, type JWK } from "jose";
import type { Algorithm, Clock, ErrorReporter } from "./types.js";

export interface VerificationKey {
  readonly kid: string;
  readonly alg: Algorithm;
  readonly key: KeyObject;
}

export interface RemoteKeySetOptions {
  url: URL;
  /** The algorithms accepted at all; keys published for any other are ignored. */
  algorithms: readonly Algorithm[];
  /** Minimum time between two fetches. */
  cooldownMs: number;
  /** A set older than this is fetched again in the background. */
  maxAgeMs: number;
  /** Timeout of one fetch. */
  timeoutMs: number;
  clock: Clock;
  onError: ErrorReporter;
}

export interface RemoteKeySet {
  /** The key with this `kid`; undefined when unknown (or not loaded yet). */
  get(kid: string): VerificationKey | undefined;
  /** Whether a fetch has succeeded once. */
  readonly loaded: boolean;
  /** Changes only when the set of keys does (not at every fetch). */
  readonly version: number;
  /**
   * Fetches the set again unless a fetch started less than the cooldown ago; concurrent callers
   * share one fetch. Resolves true when a fetch succeeded (the keys may be unchanged).
   */
  refresh(): Promise<boolean>;
  /** Starts a background fetch when the set is older than its maximum age. Never blocks. */
  refreshIfStale(): void;
}

/** RFC 7518 §3.3: at least 2048 bits (Portcullis itself makes 3072). */
const MIN_RSA_BITS = 2048;

export function createRemoteKeySet(options: RemoteKeySetOptions): RemoteKeySet {
  const { clock, onError } = options;
  // jose does the fetching (timeout, no redirects, JWKS shape); its own cache and cooldown are
  // bypassed because we decide when to reload, on our injected clock.
  const remote = createRemoteJWKSet(options.url, {
    timeoutDuration: options.timeoutMs,
    cooldownDuration: 0,
    cacheMaxAge: Number.POSITIVE_INFINITY,
  });
  let keys = new Map<string, VerificationKey>();
  let fingerprint = "";
  let version = 0;
  let loadedAt: number | null = null;
  let lastAttemptAt = Number.NEGATIVE_INFINITY;
  let inFlight: Promise<boolean> | null = null;

  async function load(): Promise<boolean> {
    try {
      await remote.reload();
      const { next, print } = await openKeys(remote.jwks()?.keys ?? [], options.algorithms, onError);
      if (print !== fingerprint) {
        keys = next;
        fingerprint = print;
        version += 1;
      }
      loadedAt = clock.now();
      return true;
    } catch (error) {
      onError(error, `fetching the JWKS at ${options.url.href}`);
      return false;
    }
  }

  function refresh(): Promise<boolean> {
    if (inFlight !== null) return inFlight;
    const now = clock.now();
    if (now - lastAttemptAt < options.cooldownMs) return Promise.resolve(false);
    lastAttemptAt = now;
    inFlight = load().finally(() => {
      inFlight = null;
    });
    return inFlight;
  }

  return {
    get: (kid) => keys.get(kid),
    get loaded() {
      return loadedAt !== null;
    },
    get version() {
      return version;
    },
    refresh,
    refreshIfStale() {
      if (loadedAt !== null && clock.now() - loadedAt >= options.maxAgeMs) void refresh();
    },
  };
}

/** Opens every usable key; a `kid` published twice is ambiguous and dropped. */
async function openKeys(
  jwks: JWK[],
  algorithms: readonly Algorithm[],
  onError: ErrorReporter,
): Promise<{ next: Map<string, VerificationKey>; print: string }> {
  const next = new Map<string, VerificationKey>();
  const duplicates = new Set<string>();
  const prints: string[] = [];
  for (const jwk of jwks) {
    const alg = usableAlgorithm(jwk, algorithms);
    if (alg === null || typeof jwk.kid !== "string") continue;
    if (next.has(jwk.kid) || duplicates.has(jwk.kid)) {
      duplicates.add(jwk.kid);
      next.delete(jwk.kid);
      continue;
    }
    const key = await openPublicKey(jwk, alg).catch((error: unknown) => {
      onError(error, `opening the JWK ${jwk.kid}`);
      return null;
    });
    if (key === null) continue;
    next.set(jwk.kid, Object.freeze({ kid: jwk.kid, alg, key }));
    prints.push(`${jwk.kid}:${alg}:${key.export({ format: "der", type: "spki" }).toString("base64")}`);
  }
  for (const kid of duplicates) onError(new Error(`the JWKS publishes kid ${kid} twice`), "reading the JWKS");
  return { next, print: prints.sort().join("|") };
}

/** The algorithm the JWK is bound to, when it is one we accept and the key fits it. */
function usableAlgorithm(jwk: JWK, algorithms: readonly Algorithm[]): Algorithm | null {
  if (typeof jwk.kid !== "string" || !KID_PATTERN.test(jwk.kid)) return null;
  // RFC 8725 §3.1: the key decides the algorithm; a key that does not say is not used.
  const alg = jwk.alg as Algorithm | undefined;
  if (alg === undefined || !algorithms.includes(alg)) return null;
  if (jwk.use !== undefined && jwk.use !== "sig") return null;
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes("verify")))
    return null;
  // Private members never belong in a published set; refuse the key rather than strip them.
  if (jwk.d !== undefined || jwk.p !== undefined || jwk.k !== undefined) return null;
  switch (alg) {
    case "ES256":
      return jwk.kty === "EC" && jwk.crv === "P-256" ? alg : null;
    case "RS256":
      return jwk.kty === "RSA" ? alg : null;
    case "EdDSA":
      return jwk.kty === "OKP" && jwk.crv === "Ed25519" ? alg : null;
  }
}

async function openPublicKey(jwk: JWK, alg: Algorithm): Promise<KeyObject | null> {
  const imported = await importJWK(jwk, alg);
  if (imported instanceof Uint8Array) return null;
  const key = KeyObjects.from(imported);
  if (key.type !== "public") return null;
  if (alg === "RS256" && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS)
    throw new Error(`RSA key ${jwk.kid} is shorter than ${MIN_RSA_BITS} bits`);
  return key;
}
