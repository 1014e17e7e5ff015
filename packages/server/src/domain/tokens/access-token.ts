/**
 * Access tokens: JWTs in the RFC 9068 profile (`typ: "at+jwt"`), signed as JWS compact
 * serialisations (RFC 7515) with the key ring's current key, and verified here with node:crypto
 * and `KeyObject`s opened once (2–3× faster than WebCrypto; `jose` is the oracle in the tests).
 * Verification is `@portcullis/token-verifier`'s strict check (RFC 8725: the key named by `kid`
 * decides the algorithm, header-supplied key material is refused, every claim is checked), the
 * very one `@portcullis/middleware` runs. Verified tokens are cached so the hot path can skip the
 * signature check; revocation is the caller's concern.
 */
import type { KeyObject } from "node:crypto";
import { constants, createHmac, randomBytes, sign } from "node:crypto";
import {
  type AccessTokenCheckResult,
  type CheckedClaims,
  createAccessTokenCheck,
  createOffThreadAccessTokenCheck,
  createVerifiedTokenCache,
} from "@portcullis/token-verifier";
import { type Clock, toSeconds } from "../clock.js";
import type { KeyRing } from "./key-ring.js";
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from "./signing-key.js";

/** The claims of an access token (RFC 9068 §2.2, plus `sid` and `roles`). Times in seconds. */
export interface AccessTokenClaims {
  iss: string;
  aud: string;
  /** The user id. */
  sub: string;
  iat: number;
  exp: number;
  jti: string;
  /** The session the token belongs to; checked against the revocation set by the caller. */
  sid: string;
  roles: string[];
  amr: string[];
  auth_time: number;
  /**
   * The scopes the token carries, space-separated (RFC 9068 §2.2.3). Sessions always get one (an
   * empty string when their roles grant none); a token without it carries no scopes.
   */
  scope?: string;
  /** RFC 9068 §2.2: the OAuth client a token of the OpenID provider was issued to; absent on session tokens. */
  client_id?: string;
  /** RFC 9449 §6: the thumbprint of the DPoP key the token is bound to. */
  cnf?: { jkt: string };
}

/** Signs new access tokens with the key ring's current key. */
export interface AccessTokenIssuer {
  issue(input: {
    userId: string;
    sessionId: string;
    roles: string[];
    amr: string[];
    /** Seconds since the Unix epoch. */
    authTime: number;
    scope?: string;
  }): { token: string; claims: AccessTokenClaims; expiresIn: number };
}

/** Options for {@link createAccessTokenIssuer}. */
export interface AccessTokenIssuerOptions {
  keyRing: KeyRing;
  issuer: string;
  audience: string;
  ttlSeconds: number;
  clock: Clock;
}

/** Verifies access tokens; see {@link createAccessTokenVerifier}. */
export interface AccessTokenVerifier {
  /**
   * The token's claims if it is valid now, otherwise `null`. Synchronous, and never throws on any
   * input. The claims object (and its arrays) is frozen: it may be shared with the cache.
   */
  verify(token: string): AccessTokenClaims | null;
  /**
   * As `verify` for the request path: a token in the cache is answered at once; any other has its
   * signature checked on libuv's thread pool, so the event loop serves other requests meanwhile
   * and every core of the machine shares the work. Never rejects.
   */
  verifyNonBlocking(token: string): AccessTokenClaims | null | Promise<AccessTokenClaims | null>;
  /** Forgets every verified token. */
  clearCache(): void;
}

/** Options for {@link createAccessTokenVerifier}. */
export interface AccessTokenVerifierOptions {
  keyRing: KeyRing;
  issuer: string;
  audience: string;
  /** The algorithms accepted at all; a token must also match its key's algorithm. */
  algorithms: readonly SigningAlgorithm[];
  clock: Clock;
  /** Verified tokens remembered; default 10 000, 0 disables the cache. */
  cacheSize?: number;
}

const DEFAULT_CACHE_SIZE = 10_000;
const IAT_LEEWAY_MS = 60_000;

/**
 * Creates the issuer of access tokens. Throws on invalid options.
 *
 * @example
 * const issuer = createAccessTokenIssuer({ keyRing, issuer: "https://auth.example.com", audience: "api", ttlSeconds: 900, clock });
 * const { token, expiresIn } = issuer.issue({ userId, sessionId, roles: ["user"], amr: ["pwd"], authTime });
 */
export function createAccessTokenIssuer(options: AccessTokenIssuerOptions): AccessTokenIssuer {
  const { keyRing, issuer, audience, ttlSeconds, clock } = options;
  const problems = [
    ...checkIssuerAndAudience(issuer, audience),
    ...(Number.isInteger(ttlSeconds) && ttlSeconds > 0 ? [] : ["ttlSeconds must be a positive integer"]),
  ];
  if (problems.length > 0) throw new Error(`createAccessTokenIssuer: ${problems.join("; ")}`);

  return {
    issue(input) {
      // Refuse to mint what the verifier would refuse: the mistake is ours, so it throws.
      if (!isNonEmptyString(input.userId) || !isNonEmptyString(input.sessionId)) {
        throw new Error("issue: userId and sessionId must be non-empty strings");
      }
      if (!isStringArray(input.roles) || !isStringArray(input.amr)) {
        throw new Error("issue: roles and amr must be arrays of strings");
      }
      if (!Number.isFinite(input.authTime)) throw new Error("issue: authTime must be a number of seconds");
      if (input.scope !== undefined && typeof input.scope !== "string")
        throw new Error("issue: scope must be a string");

      const { kid, alg, key } = keyRing.signingKey();
      const iat = toSeconds(clock.now());
      const claims: AccessTokenClaims = {
        iss: issuer,
        aud: audience,
        sub: input.userId,
        iat,
        exp: iat + ttlSeconds,
        // RFC 9068 §2.2 / RFC 7519 §4.1.7: unique per token; 128 random bits.
        jti: randomBytes(16).toString("base64url"),
        sid: input.sessionId,
        roles: [...input.roles],
        amr: [...input.amr],
        auth_time: input.authTime,
        ...(input.scope === undefined ? {} : { scope: input.scope }),
      };
      // RFC 9068 §2.1 / RFC 8725 §3.11: explicit typing keeps access tokens apart from other JWTs.
      const header = { alg, typ: "at+jwt", kid };
      const signingInput = `${encodeJson(header)}.${encodeJson(claims)}`;
      const signature = signBytes(alg, key, Buffer.from(signingInput, "latin1"));
      return { token: `${signingInput}.${signature.toString("base64url")}`, claims, expiresIn: ttlSeconds };
    },
  };
}

/**
 * Creates the verifier of access tokens. Throws on invalid options, including a key ring whose
 * signing algorithm `algorithms` does not allow (every token would be refused).
 *
 * @example
 * const verifier = createAccessTokenVerifier({ keyRing, issuer, audience: "api", algorithms: ["ES256"], clock });
 * const claims = verifier.verify(bearerToken); // null → 401 invalid_token
 */
export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): AccessTokenVerifier {
  const { keyRing, issuer, audience, clock } = options;
  const cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE;
  const algorithms = options.algorithms;
  const problems = checkIssuerAndAudience(issuer, audience);
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    problems.push("algorithms must be a non-empty list");
  } else {
    for (const alg of algorithms) {
      if (!SIGNING_ALGORITHMS.includes(alg)) problems.push(`unsupported algorithm ${JSON.stringify(alg)}`);
    }
    const ringAlg = keyRing.signingKey().alg;
    if (!algorithms.includes(ringAlg))
      problems.push(`the key ring signs with ${ringAlg}, which algorithms excludes`);
  }
  if (!Number.isInteger(cacheSize) || cacheSize < 0)
    problems.push("cacheSize must be a non-negative integer");
  if (problems.length > 0) throw new Error(`createAccessTokenVerifier: ${problems.join("; ")}`);

  const checkOptions = {
    issuer,
    audience,
    algorithms,
    findKey: (kid: string) => keyRing.verificationKey(kid),
    // DPoP-bound tokens are accepted here; the caller checks the proof against `cnf.jkt`.
    confirmation: "dpop",
  } as const;
  const check = createAccessTokenCheck(checkOptions);
  const checkOffThread = createOffThreadAccessTokenCheck(checkOptions);
  // Keyed by the exact token string: a token that differs in any character, even one that
  // decodes to the same bytes, is a miss and goes through full verification.
  const cache = createVerifiedTokenCache<AccessTokenClaims>(cacheSize);
  let cacheVersion = keyRing.version;

  /** The cached verdict on `token`, or undefined when it must be checked. */
  function fromCache(token: string, now: number): AccessTokenClaims | null | undefined {
    // A rotation or reload may have removed the key that verified a cached token.
    if (keyRing.version !== cacheVersion) {
      cache.clear();
      cacheVersion = keyRing.version;
    }
    const cached = cache.get(token);
    if (cached === undefined) return undefined;
    if (timesAreValid(cached, now)) return cached;
    cache.delete(token);
    return null;
  }

  function accept(
    token: string,
    result: AccessTokenCheckResult,
    keysVersion: number,
  ): AccessTokenClaims | null {
    if (!result.ok) return null;
    const claims = toAccessTokenClaims(result.claims, issuer, audience);
    // Tokens with `nbf` are not cached (we never issue one), so every time check re-runs on a hit.
    // Nor is one checked against keys that have changed since (its key may be gone).
    if (result.claims.nbf === undefined && keyRing.version === keysVersion) cache.set(token, claims);
    return claims;
  }

  return {
    verify(token) {
      // The check never throws; the cache sees only strings.
      if (typeof token !== "string") return null;
      const now = clock.now();
      const cached = fromCache(token, now);
      return cached !== undefined ? cached : accept(token, check(token, now), keyRing.version);
    },
    verifyNonBlocking(token) {
      if (typeof token !== "string") return null;
      const now = clock.now();
      const cached = fromCache(token, now);
      if (cached !== undefined) return cached;
      const keysVersion = keyRing.version;
      return checkOffThread(token, now).then((result) => accept(token, result, keysVersion));
    },
    clearCache() {
      cache.clear();
    },
  };
}

/** `exp` with no leeway (we issue these tokens ourselves); `iat` not far in the future. */
function timesAreValid(claims: AccessTokenClaims, nowMs: number): boolean {
  return claims.exp * 1000 > nowMs && claims.iat * 1000 <= nowMs + IAT_LEEWAY_MS;
}

/** A frozen copy of the checked claims with only the members this server knows. */
function toAccessTokenClaims(checked: CheckedClaims, issuer: string, audience: string): AccessTokenClaims {
  const { sub, sid, jti, iat, exp, scope, client_id: clientId, cnf } = checked;
  const claims: AccessTokenClaims = {
    iss: issuer,
    aud: audience,
    sub,
    iat,
    exp,
    jti,
    sid,
    roles: Object.freeze([...checked.roles]) as string[],
    amr: Object.freeze([...checked.amr]) as string[],
    auth_time: checked.auth_time,
    ...(scope === undefined ? {} : { scope }),
    ...(clientId === undefined ? {} : { client_id: clientId }),
    ...(cnf === undefined ? {} : { cnf: Object.freeze({ jkt: cnf.jkt }) }),
  };
  return Object.freeze(claims);
}

function signBytes(alg: SigningAlgorithm, key: KeyObject, data: Buffer): Buffer {
  switch (alg) {
    case "ES256":
      // RFC 7518 §3.4: JWS carries the raw R || S, not DER.
      return sign("sha256", data, { key, dsaEncoding: "ieee-p1363" });
    case "RS256":
      return sign("sha256", data, { key, padding: constants.RSA_PKCS1_PADDING });
    case "EdDSA":
      return sign(null, data, key);
    case "HS256":
      return createHmac("sha256", key).update(data).digest();
  }
}

function encodeJson(value: object): string {
  return Buffer.from(JSON.stringify(value), "utf8").toString("base64url");
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

function checkIssuerAndAudience(issuer: string, audience: string): string[] {
  const problems: string[] = [];
  if (!isNonEmptyString(issuer)) problems.push("issuer must be a non-empty string");
  if (!isNonEmptyString(audience)) problems.push("audience must be a non-empty string");
  return problems;
}
