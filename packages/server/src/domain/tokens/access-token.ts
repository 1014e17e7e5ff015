/**
 * Access tokens: JWTs in the RFC 9068 profile (`typ: "at+jwt"`), signed as JWS compact
 * serialisations (RFC 7515) with the key ring's current key, and verified here with node:crypto
 * and `KeyObject`s opened once (2–3× faster than WebCrypto; `jose` is the oracle in the tests).
 * Verification follows RFC 8725: the key named by `kid` decides the algorithm, header-supplied key
 * material is refused, and every claim is checked. Verified tokens are cached so the hot path can
 * skip the signature check; revocation is the caller's concern.
 */
import type { KeyObject } from "node:crypto";
import { constants, createHmac, randomBytes, sign, timingSafeEqual, verify } from "node:crypto";
import { type Clock, toSeconds } from "../clock.js";
import type { KeyRing } from "./key-ring.js";
import { KID_PATTERN, SIGNING_ALGORITHMS, type SigningAlgorithm } from "./signing-key.js";

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

/** The only `typ` values RFC 9068 §4 lets a resource server accept (compared case-insensitively, RFC 7515 §4.1.9). */
const ACCESS_TOKEN_TYPES: ReadonlySet<string> = new Set(["at+jwt", "application/at+jwt"]);
/**
 * RFC 8725 §3.10 and §2.9: the token must not choose its own key (`jwk`, `x5c`) nor make us
 * fetch one (`jku`, `x5u`); and we implement no extension, so `crit` cannot be honoured (RFC 7515 §4.1.11).
 */
const FORBIDDEN_HEADERS = ["jku", "x5u", "jwk", "x5c", "crit"] as const;
const MAX_TOKEN_LENGTH = 8 * 1024;
// Disjoint character classes around literal dots: linear time on any input.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const NBF_LEEWAY_MS = 5_000;
const IAT_LEEWAY_MS = 60_000;
const DEFAULT_CACHE_SIZE = 10_000;
const ES256_SIGNATURE_BYTES = 64;
const ED25519_SIGNATURE_BYTES = 64;
// RFC 8725 §3.7: UTF-8 only; `fatal` refuses invalid sequences instead of replacing them, and
// `ignoreBOM` keeps a BOM in the text so that JSON.parse refuses it.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

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

  const allowed: ReadonlySet<string> = new Set(algorithms);
  // Keyed by the exact token string: a token that differs in any character, even one that
  // decodes to the same bytes, is a miss and goes through full verification.
  const cache = new Map<string, AccessTokenClaims>();
  let cacheVersion = keyRing.version;

  function verifyToken(token: string): AccessTokenClaims | null {
    if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH) return null;
    // A rotation or reload may have removed the key that verified a cached token.
    if (keyRing.version !== cacheVersion) {
      cache.clear();
      cacheVersion = keyRing.version;
    }
    const now = clock.now();
    const cached = cache.get(token);
    if (cached !== undefined) {
      if (timesAreValid(cached, now)) return cached;
      cache.delete(token);
      return null;
    }

    if (!COMPACT_JWS.test(token)) return null;
    const [encodedHeader = "", encodedPayload = "", encodedSignature = ""] = token.split(".");
    const header = decodeJsonObject(encodedHeader);
    if (header === null) return null;

    // RFC 8725 §3.1: an allow-list of algorithms; `none` is never in it (§3.2).
    const alg = own(header, "alg");
    if (typeof alg !== "string" || !allowed.has(alg)) return null;
    const typ = own(header, "typ");
    if (typeof typ !== "string" || !ACCESS_TOKEN_TYPES.has(typ.toLowerCase())) return null;
    // RFC 8725 §3.10: `kid` is attacker input; only a plain identifier is looked up, and an
    // unknown one fails rather than falling back to some other (or an empty) key.
    const kid = own(header, "kid");
    if (typeof kid !== "string" || !KID_PATTERN.test(kid)) return null;
    const entry = keyRing.verificationKey(kid);
    // RFC 8725 §2.1 / §3.1: the key's own algorithm must be the one claimed; this is what stops
    // HS256 "signed" with a public key.
    if (entry === undefined || entry.alg !== alg) return null;
    for (const name of FORBIDDEN_HEADERS) {
      if (Object.hasOwn(header, name)) return null;
    }

    const signature = decodeBase64Url(encodedSignature);
    if (signature === null) return null;
    const signingInput = Buffer.from(
      token.slice(0, encodedHeader.length + 1 + encodedPayload.length),
      "latin1",
    );
    if (!verifySignature(entry.alg, entry.key, signingInput, signature)) return null;

    const payload = decodeJsonObject(encodedPayload);
    if (payload === null) return null;
    const claims = readClaims(payload, issuer, audience);
    if (claims === null || !timesAreValid(claims, now)) return null;
    const nbf = own(payload, "nbf");
    if (
      nbf !== undefined &&
      !(typeof nbf === "number" && Number.isFinite(nbf) && nbf * 1000 <= now + NBF_LEEWAY_MS)
    ) {
      return null;
    }

    // Tokens with `nbf` are not cached (we never issue one), so every time check re-runs on a hit.
    if (cacheSize > 0 && nbf === undefined) {
      if (cache.size >= cacheSize) {
        const oldest = cache.keys().next();
        if (oldest.done !== true) cache.delete(oldest.value);
      }
      cache.set(token, claims);
    }
    return claims;
  }

  return {
    verify(token) {
      try {
        return verifyToken(token);
      } catch {
        // Malformed keys or inputs may make node:crypto throw; for the caller it is one more invalid token.
        return null;
      }
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

function readClaims(
  payload: Record<string, unknown>,
  issuer: string,
  audience: string,
): AccessTokenClaims | null {
  // RFC 8725 §3.8–3.9 and RFC 9068 §4: the issuer and the audience must be ours.
  if (own(payload, "iss") !== issuer) return null;
  const aud = own(payload, "aud");
  if (aud !== audience && !(isStringArray(aud) && aud.includes(audience))) return null;
  const sub = own(payload, "sub");
  const sid = own(payload, "sid");
  const jti = own(payload, "jti");
  if (!isNonEmptyString(sub) || !isNonEmptyString(sid) || !isNonEmptyString(jti)) return null;
  const exp = own(payload, "exp");
  const iat = own(payload, "iat");
  const authTime = own(payload, "auth_time");
  if (!isFiniteNumber(exp) || !isFiniteNumber(iat) || !isFiniteNumber(authTime)) return null;
  const roles = own(payload, "roles");
  const amr = own(payload, "amr");
  if (!isStringArray(roles) || !isStringArray(amr)) return null;
  const scope = own(payload, "scope");
  if (scope !== undefined && typeof scope !== "string") return null;
  const clientId = own(payload, "client_id");
  if (clientId !== undefined && !isNonEmptyString(clientId)) return null;
  const confirmation = own(payload, "cnf");
  let jkt: string | undefined;
  if (confirmation !== undefined) {
    // A binding this verifier cannot check (an mTLS certificate) must not be ignored.
    jkt =
      typeof confirmation === "object" && confirmation !== null
        ? (own(confirmation as Record<string, unknown>, "jkt") as string | undefined)
        : undefined;
    if (!isNonEmptyString(jkt)) return null;
  }

  const claims: AccessTokenClaims = {
    iss: issuer,
    aud: audience,
    sub,
    iat,
    exp,
    jti,
    sid,
    roles: Object.freeze([...roles]) as string[],
    amr: Object.freeze([...amr]) as string[],
    auth_time: authTime,
    ...(scope === undefined ? {} : { scope }),
    ...(clientId === undefined ? {} : { client_id: clientId }),
    ...(jkt === undefined ? {} : { cnf: Object.freeze({ jkt }) }),
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

/** Dispatches on the algorithm bound to the key in the ring, and checks the key's type again. */
function verifySignature(alg: SigningAlgorithm, key: KeyObject, data: Buffer, signature: Buffer): boolean {
  if (alg === "HS256") {
    if (key.type !== "secret") return false;
    const expected = createHmac("sha256", key).update(data).digest();
    return signature.length === expected.length && timingSafeEqual(signature, expected);
  }
  if (key.type !== "public") return false;
  switch (alg) {
    case "ES256": {
      // r = 0 or s = 0 is never a valid ECDSA signature (the CVE-2022-21449 class); refuse it
      // before OpenSSL, as we refuse any length but 64 bytes (RFC 7518 §3.4).
      if (signature.length !== ES256_SIGNATURE_BYTES) return false;
      if (isZero(signature.subarray(0, 32)) || isZero(signature.subarray(32))) return false;
      return verify("sha256", data, { key, dsaEncoding: "ieee-p1363" }, signature);
    }
    case "RS256":
      return verify("sha256", data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
    case "EdDSA":
      if (signature.length !== ED25519_SIGNATURE_BYTES) return false;
      return verify(null, data, key, signature);
  }
}

function isZero(bytes: Buffer): boolean {
  for (const byte of bytes) if (byte !== 0) return false;
  return true;
}

function encodeJson(value: object): string {
  return Buffer.from(JSON.stringify(value), "utf8").toString("base64url");
}

/**
 * Strict base64url (RFC 7515 §2): Node's decoder ignores stray characters and non-zero trailing
 * bits, so several strings decode to one value; only the canonical one is accepted (RFC 8725 §2.6).
 */
function decodeBase64Url(segment: string): Buffer | null {
  const bytes = Buffer.from(segment, "base64url");
  return bytes.toString("base64url") === segment ? bytes : null;
}

function decodeJsonObject(segment: string): Record<string, unknown> | null {
  const bytes = decodeBase64Url(segment);
  if (bytes === null) return null;
  let text: string;
  let value: unknown;
  try {
    text = utf8.decode(bytes);
    value = JSON.parse(text);
  } catch {
    return null;
  }
  // RFC 7515 §5.2 / RFC 7519 §4: JSON.parse keeps the last of two members with one name, another
  // parser (a resource server's) may keep the first; such a header or claim set is refused.
  if (typeof value !== "object" || value === null || Array.isArray(value) || hasDuplicateMembers(text))
    return null;
  return value as Record<string, unknown>;
}

/**
 * Whether any object in `text` names a member twice (after unescaping, so `"s\u0075b"` is `sub`).
 * Only called on text JSON.parse accepted, so tracking strings, brackets and commas suffices.
 */
function hasDuplicateMembers(text: string): boolean {
  // One set of member names per open object; null for an open array.
  const open: Array<Set<string> | null> = [];
  let expectName = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (char === '"') {
      let end = index + 1;
      while (text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      const names = open.at(-1);
      if (expectName && names !== undefined && names !== null) {
        const name = JSON.parse(text.slice(index, end + 1)) as string;
        if (names.has(name)) return true;
        names.add(name);
      }
      expectName = false;
      index = end;
    } else if (char === "{") {
      open.push(new Set());
      expectName = true;
    } else if (char === "[") {
      open.push(null);
      expectName = false;
    } else if (char === "}" || char === "]") {
      open.pop();
      expectName = false;
    } else if (char === ",") {
      expectName = open.at(-1) !== null && open.length > 0;
    }
  }
  return false;
}

/** Own properties only: a polluted `Object.prototype` must not supply a claim or header. */
function own(object: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(object, name) ? object[name] : undefined;
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
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
