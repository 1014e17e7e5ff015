/**
 * Local verification of Portcullis access tokens: JWTs in the RFC 9068 profile (`typ: at+jwt`),
 * JWS compact serialisations (RFC 7515) checked with node:crypto and `KeyObject`s opened once
 * from the JWKS (2–3× faster than WebCrypto; `jose` fetches the JWKS and is the oracle in the
 * tests). As strict as Portcullis itself (RFC 8725):
 *
 * - the key named by `kid` decides the algorithm, which must also be in `algorithms`; `none`
 *   never is; header-supplied key material (`jku`, `x5u`, `jwk`, `x5c`) and `crit` are refused;
 * - `typ` must be `at+jwt`; `iss` and `aud` must be ours; `exp`, `nbf` and `iat` are checked;
 *   `sub`, `sid`, `jti`, `roles`, `amr` and `auth_time` must be present and well-typed;
 * - only canonical base64url and valid UTF-8 JSON objects are read; own properties only.
 *
 * Verified tokens are cached (keyed by the exact token string, bounded in number and by `exp`),
 * so a token seen again costs a map lookup; revocation, when a listener is given, is checked on
 * every request, cached or not.
 */
import { constants, verify } from "node:crypto";
import { createRemoteKeySet, KID_PATTERN, type RemoteKeySet, type VerificationKey } from "./jwks.js";
import { isHttpUrl, type RevocationListener } from "./revocation.js";
import {
  type AccessTokenClaims,
  ALGORITHMS,
  type Algorithm,
  type Clock,
  deepFreeze,
  type ErrorReporter,
  parseScope,
  systemClock,
  type TokenAuth,
} from "./types.js";

export interface TokenVerifierOptions {
  /** Portcullis's `PORTCULLIS_PUBLIC_URL`: the `iss` every token must carry. */
  issuer: string;
  /** The `aud` tokens must carry (Portcullis's `PORTCULLIS_AUDIENCE`, by default its public URL). */
  audience: string;
  /** Where the JWKS is fetched; default `<issuer>/.well-known/jwks.json`. */
  jwksUrl?: string;
  /** Accepted algorithms; default `["ES256"]` (Portcullis's default). A token must also match its key's. */
  algorithms?: readonly Algorithm[];
  /** Instant revocation (see `createRevocationListener`); without it a token lives until `exp`. */
  revocations?: RevocationListener;
  /** Verified tokens remembered; default 10 000; 0 disables the cache. */
  cacheSize?: number;
  /** Seconds of leeway on `exp` for clocks that differ; default 0, at most 60. */
  clockToleranceSeconds?: number;
  /** Minimum time between two JWKS fetches (an unknown `kid` triggers one); default 5000 ms. */
  jwksCooldownMs?: number;
  /** The JWKS is fetched again in the background when older than this; default 10 minutes. */
  jwksMaxAgeMs?: number;
  /** Timeout of one JWKS fetch; default 5000 ms. */
  jwksTimeoutMs?: number;
  clock?: Clock;
  /** Told about failed JWKS fetches and the like (never about a refused token). */
  onError?: ErrorReporter;
}

/** Why a token was refused; for logs and tests, never sent to the client. */
export type TokenFailure =
  | "malformed"
  | "algorithm"
  | "type"
  | "header"
  | "unknown_key"
  | "signature"
  | "claims"
  | "issuer"
  | "audience"
  | "expired"
  | "not_yet_valid"
  | "revoked"
  /** Bound to a key (`cnf`, RFC 9449 DPoP or RFC 8705 mTLS) whose possession this verifier cannot check. */
  | "bound";

export type VerifyResult =
  | { ok: true; auth: TokenAuth }
  | { ok: false; code: "invalid_token"; reason: TokenFailure }
  | { ok: false; code: "service_unavailable"; reason: "keys_unavailable" | "revocation_unavailable" };

export interface TokenVerifier {
  /** Verifies a token, fetching the JWKS first when needed. Never rejects. */
  verify(token: string): Promise<VerifyResult>;
  /**
   * The synchronous path: the result, or `undefined` when it needs I/O first (keys not loaded,
   * an unknown `kid`, the revocation listener still starting) — then call `verify`.
   */
  verifyNow(token: string): VerifyResult | undefined;
  /** Fetches the JWKS (and waits for the revocation listener's first catch-up); for start-up. */
  ready(): Promise<void>;
  readonly revocations: RevocationListener | undefined;
  /** Forgets every verified token. */
  clearCache(): void;
}

interface CachedToken {
  auth: TokenAuth;
  expMs: number;
}

/** RFC 9068 §4: the only `typ` values a resource server accepts (case-insensitive, RFC 7515 §4.1.9). */
const ACCESS_TOKEN_TYPES: ReadonlySet<string> = new Set(["at+jwt", "application/at+jwt"]);
/** RFC 8725 §3.10 / §2.9 and RFC 7515 §4.1.11: no key material from the token, no unknown extensions. */
const FORBIDDEN_HEADERS = ["jku", "x5u", "jwk", "x5c", "crit"] as const;
const MAX_TOKEN_LENGTH = 8 * 1024;
// Disjoint character classes around literal dots: linear time on any input.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const NBF_LEEWAY_MS = 5_000;
const IAT_LEEWAY_MS = 60_000;
const ES256_SIGNATURE_BYTES = 64;
const ED25519_SIGNATURE_BYTES = 64;
// RFC 8725 §3.7: UTF-8 only; `fatal` refuses invalid sequences, `ignoreBOM` keeps a BOM so JSON.parse refuses it.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

const invalid = (reason: TokenFailure): VerifyResult => ({ ok: false, code: "invalid_token", reason });
const KEYS_UNAVAILABLE: VerifyResult = { ok: false, code: "service_unavailable", reason: "keys_unavailable" };
const REVOCATION_UNAVAILABLE: VerifyResult = {
  ok: false,
  code: "service_unavailable",
  reason: "revocation_unavailable",
};

/**
 * Creates a verifier; build one per service and share it across routes (it holds the JWKS and
 * the cache). Throws on invalid options, listing every problem.
 *
 * @example
 * const verifier = createTokenVerifier({ issuer: "https://auth.example.com", audience: "https://api.example.com" });
 * const result = await verifier.verify(bearerToken);
 * if (result.ok) console.log(result.auth.userId);
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const problems = checkOptions(options);
  if (problems.length > 0) throw new Error(`createTokenVerifier: ${problems.join("; ")}`);
  const { issuer, audience, revocations } = options;
  const clock = options.clock ?? systemClock;
  const algorithms = options.algorithms ?? (["ES256"] as const);
  const allowed: ReadonlySet<string> = new Set(algorithms);
  const cacheSize = options.cacheSize ?? 10_000;
  const expLeewayMs = (options.clockToleranceSeconds ?? 0) * 1000;
  const keys: RemoteKeySet = createRemoteKeySet({
    url: new URL(options.jwksUrl ?? `${issuer.replace(/\/+$/, "")}/.well-known/jwks.json`),
    algorithms,
    cooldownMs: options.jwksCooldownMs ?? 5_000,
    maxAgeMs: options.jwksMaxAgeMs ?? 10 * 60_000,
    timeoutMs: options.jwksTimeoutMs ?? 5_000,
    clock,
    onError: options.onError ?? (() => {}),
  });
  const cache = new Map<string, CachedToken>();
  let cacheVersion = keys.version;
  // The first requests wait (once, bounded) for the listener's first catch-up.
  let revocationsReady = revocations === undefined;
  void revocations?.ready().then(() => {
    revocationsReady = true;
  });

  /** Revocation on every request; `undefined` until the listener is ready. */
  function checkRevocation(auth: TokenAuth): VerifyResult | undefined {
    if (revocations === undefined) return { ok: true, auth };
    if (!revocationsReady) return undefined;
    switch (revocations.check(auth.sessionId, auth.userId, auth.claims.iat)) {
      case "ok":
        return { ok: true, auth };
      case "revoked":
        return invalid("revoked");
      case "unavailable":
        return REVOCATION_UNAVAILABLE;
    }
  }

  /**
   * `undefined`: I/O is needed first — the key is unknown (or no keys yet) and the JWKS should be
   * fetched, or the revocation listener is not ready yet.
   */
  function verifyLocally(token: string): VerifyResult | undefined {
    if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH) return invalid("malformed");
    // A withdrawn key may have verified a cached token.
    if (keys.version !== cacheVersion) {
      cache.clear();
      cacheVersion = keys.version;
    }
    const now = clock.now();
    const cached = cache.get(token);
    if (cached !== undefined) {
      if (cached.expMs + expLeewayMs > now) return checkRevocation(cached.auth);
      cache.delete(token);
      return invalid("expired");
    }

    if (!COMPACT_JWS.test(token)) return invalid("malformed");
    const firstDot = token.indexOf(".");
    const secondDot = token.indexOf(".", firstDot + 1);
    const header = decodeJsonObject(token.slice(0, firstDot));
    if (header === null) return invalid("malformed");

    // RFC 8725 §3.1–3.2: an allow-list of algorithms, without `none`.
    const alg = own(header, "alg");
    if (typeof alg !== "string" || !allowed.has(alg)) return invalid("algorithm");
    const typ = own(header, "typ");
    if (typeof typ !== "string" || !ACCESS_TOKEN_TYPES.has(typ.toLowerCase())) return invalid("type");
    for (const name of FORBIDDEN_HEADERS) if (Object.hasOwn(header, name)) return invalid("header");
    // RFC 8725 §3.10: `kid` is attacker input; only a plain identifier is looked up.
    const kid = own(header, "kid");
    if (typeof kid !== "string" || !KID_PATTERN.test(kid)) return invalid("header");
    const entry = keys.get(kid);
    if (entry === undefined) return undefined;
    // The key's algorithm, not the token's claim, decides: this is what stops algorithm confusion.
    if (entry.alg !== alg) return invalid("algorithm");

    const signature = decodeBase64Url(token.slice(secondDot + 1));
    if (signature === null) return invalid("malformed");
    if (!verifySignature(entry, Buffer.from(token.slice(0, secondDot), "latin1"), signature))
      return invalid("signature");

    const payload = decodeJsonObject(token.slice(firstDot + 1, secondDot));
    if (payload === null) return invalid("malformed");
    const claims = readClaims(payload);
    if (typeof claims === "string") return invalid(claims);
    if (claims.exp * 1000 + expLeewayMs <= now) return invalid("expired");
    if (claims.iat * 1000 > now + IAT_LEEWAY_MS) return invalid("not_yet_valid");
    if (claims.nbf !== undefined && claims.nbf * 1000 > now + NBF_LEEWAY_MS) return invalid("not_yet_valid");

    const auth: TokenAuth = deepFreeze({
      via: "token",
      userId: claims.sub,
      sessionId: claims.sid,
      roles: claims.roles,
      scopes: parseScope(claims.scope),
      amr: claims.amr,
      authTime: claims.auth_time,
      claims,
    });
    // Tokens with `nbf` are not cached (Portcullis issues none), so every time check re-runs on a hit.
    if (cacheSize > 0 && claims.nbf === undefined) {
      if (cache.size >= cacheSize) {
        const oldest = cache.keys().next();
        if (oldest.done !== true) cache.delete(oldest.value);
      }
      cache.set(token, { auth, expMs: claims.exp * 1000 });
    }
    return checkRevocation(auth);
  }

  /** Everything but the signature is the token's word; check the claims Portcullis guarantees. */
  function readClaims(payload: Record<string, unknown>): AccessTokenClaims | TokenFailure {
    // RFC 8725 §3.8–3.9, RFC 9068 §4: our issuer, our audience.
    if (own(payload, "iss") !== issuer) return "issuer";
    const aud = own(payload, "aud");
    if (aud !== audience && !(isStringArray(aud) && aud.includes(audience))) return "audience";
    for (const name of ["sub", "sid", "jti"]) if (!isNonEmptyString(own(payload, name))) return "claims";
    for (const name of ["exp", "iat", "auth_time"]) if (!isFiniteNumber(own(payload, name))) return "claims";
    if (!isStringArray(own(payload, "roles")) || !isStringArray(own(payload, "amr"))) return "claims";
    const scope = own(payload, "scope");
    if (scope !== undefined && typeof scope !== "string") return "claims";
    const nbf = own(payload, "nbf");
    if (nbf !== undefined && !isFiniteNumber(nbf)) return "claims";
    // A sender-constrained token is worthless to a thief only if the proof is checked; as a
    // bearer token it would be accepted from anyone, so it is refused.
    if (own(payload, "cnf") !== undefined) return "bound";
    // A prototype-less copy: the claims object handed to applications has no inherited surprises.
    return Object.assign(Object.create(null) as object, payload) as AccessTokenClaims;
  }

  function verifyNow(token: string): VerifyResult | undefined {
    try {
      const result = verifyLocally(token);
      if (result !== undefined) keys.refreshIfStale();
      return result;
    } catch {
      // node:crypto may throw on odd inputs; for the caller it is one more invalid token.
      return invalid("malformed");
    }
  }

  async function verifyToken(token: string): Promise<VerifyResult> {
    if (!revocationsReady) await revocations?.ready();
    const first = verifyNow(token);
    if (first !== undefined) return first;
    // An unknown `kid` (a rotation) or no keys yet: fetch the JWKS, at most once per cooldown.
    await keys.refresh();
    if (!keys.loaded) return KEYS_UNAVAILABLE;
    return verifyNow(token) ?? invalid("unknown_key");
  }

  return {
    verify: verifyToken,
    verifyNow,
    async ready() {
      await keys.refresh();
      await revocations?.ready();
    },
    revocations,
    clearCache() {
      cache.clear();
    },
  };
}

/** Dispatches on the algorithm bound to the key, and checks its type again. */
function verifySignature(entry: VerificationKey, data: Buffer, signature: Buffer): boolean {
  const { key } = entry;
  if (key.type !== "public") return false;
  switch (entry.alg) {
    case "ES256":
      // RFC 7518 §3.4: exactly R ‖ S; r = 0 or s = 0 is never valid (the CVE-2022-21449 class).
      if (signature.length !== ES256_SIGNATURE_BYTES) return false;
      if (isZero(signature.subarray(0, 32)) || isZero(signature.subarray(32))) return false;
      return verify("sha256", data, { key, dsaEncoding: "ieee-p1363" }, signature);
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
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch {
    return null;
  }
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
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

function checkOptions(options: TokenVerifierOptions): string[] {
  const problems: string[] = [];
  if (!isNonEmptyString(options.issuer)) problems.push("issuer must be a non-empty string");
  if (!isNonEmptyString(options.audience)) problems.push("audience must be a non-empty string");
  if (options.jwksUrl !== undefined && !isHttpUrl(options.jwksUrl))
    problems.push("jwksUrl must be an http(s) URL");
  if (options.jwksUrl === undefined && isNonEmptyString(options.issuer) && !isHttpUrl(options.issuer))
    problems.push("issuer is not an http(s) URL: give jwksUrl");
  if (options.algorithms !== undefined) {
    if (!Array.isArray(options.algorithms) || options.algorithms.length === 0)
      problems.push("algorithms must be a non-empty list");
    else
      for (const alg of options.algorithms)
        if (!ALGORITHMS.includes(alg))
          problems.push(`unsupported algorithm ${JSON.stringify(alg)} (${ALGORITHMS.join(", ")})`);
  }
  const tolerance = options.clockToleranceSeconds;
  if (tolerance !== undefined && !(Number.isInteger(tolerance) && tolerance >= 0 && tolerance <= 60))
    problems.push("clockToleranceSeconds must be an integer from 0 to 60");
  if (options.cacheSize !== undefined && !(Number.isInteger(options.cacheSize) && options.cacheSize >= 0))
    problems.push("cacheSize must be a non-negative integer");
  for (const name of ["jwksCooldownMs", "jwksMaxAgeMs", "jwksTimeoutMs"] as const) {
    const value = options[name];
    if (value !== undefined && !(Number.isInteger(value) && value >= 0))
      problems.push(`${name} must be a non-negative integer`);
  }
  return problems;
}
