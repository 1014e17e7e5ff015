/**
 * The strict check of a Portcullis access token: a JWT in the RFC 9068 profile, signed as a JWS
 * compact serialisation (RFC 7515), judged by the rules of RFC 8725:
 *
 * - the key named by `kid` decides the algorithm, which must also be in the allow-list; `none`
 *   never is; header-supplied key material (`jku`, `x5u`, `jwk`, `x5c`) and `crit` are refused;
 * - `typ` must be `at+jwt`; `iss` and `aud` must be ours; `exp`, `nbf` and `iat` are checked;
 *   `sub`, `sid`, `jti`, `roles`, `amr` and `auth_time` must be present and well-typed;
 * - only canonical base64url and valid UTF-8 JSON objects naming each member once are read, and
 *   only own properties.
 *
 * No cache and no I/O: the server and `@portcullis/middleware` wrap it with theirs.
 */
import { decodeBase64Url, decodeJsonObject } from "./jws-segments.js";
import {
  JWS_ALGORITHMS,
  type JwsAlgorithm,
  type VerificationKey,
  verifyJwsSignature,
  verifyJwsSignatureOffThread,
} from "./jws-signature.js";

/**
 * Why a token was refused; for logs and tests, never for the client. `unknown_key`: a well-formed
 * `kid` that names no key (yet), so a caller with a remote key set may fetch it; `bound`:
 * sender-constrained (`cnf`) where the options refuse it.
 */
export const REFUSAL_REASONS = [
  "malformed",
  "algorithm",
  "type",
  "header",
  "unknown_key",
  "signature",
  "claims",
  "issuer",
  "audience",
  "expired",
  "not_yet_valid",
  "bound",
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** The claims every accepted token has, checked; the object is the parsed payload itself. */
export interface CheckedClaims {
  readonly [claim: string]: unknown;
  readonly iss: string;
  readonly aud: string | readonly string[];
  /** The user id. */
  readonly sub: string;
  /** The session the token belongs to. */
  readonly sid: string;
  readonly jti: string;
  /** Seconds since the epoch, as are `exp`, `nbf` and `auth_time`. */
  readonly iat: number;
  readonly exp: number;
  readonly nbf?: number;
  readonly auth_time: number;
  readonly roles: readonly string[];
  readonly amr: readonly string[];
  readonly scope?: string;
  readonly client_id?: string;
  /** Only when `confirmation` is `"dpop"`: RFC 9449 §6, the thumbprint of the key to prove. */
  readonly cnf?: { readonly jkt: string };
}

export type AccessTokenCheckResult =
  | { readonly ok: true; readonly claims: CheckedClaims }
  | { readonly ok: false; readonly reason: RefusalReason };

/** Checks a token at an instant (milliseconds since the epoch). Never throws. */
export type AccessTokenCheck = (token: string, nowMs: number) => AccessTokenCheckResult;

/** As `AccessTokenCheck`, with the signature checked on libuv's thread pool. Never rejects. */
export type OffThreadAccessTokenCheck = (token: string, nowMs: number) => Promise<AccessTokenCheckResult>;

export interface AccessTokenCheckOptions {
  /** The `iss` every token must carry. */
  readonly issuer: string;
  /** The `aud` every token must carry (or list). */
  readonly audience: string;
  /** The algorithms accepted at all; a token must also match its key's. */
  readonly algorithms: readonly JwsAlgorithm[];
  /** The key a well-formed `kid` names, or undefined when there is none. */
  readonly findKey: (kid: string) => VerificationKey | undefined;
  /**
   * What a `cnf` claim (a sender-constrained token) means: `"refuse"` when the caller cannot
   * check a proof of possession (as a bearer token it would be accepted from anyone), `"dpop"`
   * when it checks RFC 9449 proofs against `cnf.jkt` (any other binding is still refused).
   */
  readonly confirmation: "refuse" | "dpop";
  /** Leeway on `exp` for clocks that differ; default 0. */
  readonly expLeewayMs?: number;
}

/** Longer tokens are refused unread. */
export const MAX_TOKEN_LENGTH = 8 * 1024;
/** RFC 8725 §3.10: `kid` is attacker input; only a plain identifier is ever looked up. */
export const KID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** RFC 9068 §4: the only `typ` values a resource server accepts (case-insensitive, RFC 7515 §4.1.9). */
const ACCESS_TOKEN_TYPES: ReadonlySet<string> = new Set(["at+jwt", "application/at+jwt"]);
/**
 * RFC 8725 §3.10 and §2.9: the token must not choose its own key (`jwk`, `x5c`) nor make us fetch
 * one (`jku`, `x5u`); and no extension is implemented, so `crit` cannot be honoured (RFC 7515 §4.1.11).
 */
const FORBIDDEN_HEADERS = ["jku", "x5u", "jwk", "x5c", "crit"] as const;
// Disjoint character classes around literal dots: linear time on any input.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const NBF_LEEWAY_MS = 5_000;
/** Distinct header segments remembered: one per key and algorithm in use, a few during a rotation. */
const HEADER_CACHE_ENTRIES = 16;
const IAT_LEEWAY_MS = 60_000;

/** One frozen result per reason: a refusal allocates nothing. */
const REFUSED = Object.fromEntries(
  REFUSAL_REASONS.map((reason) => [reason, Object.freeze({ ok: false, reason })]),
) as { readonly [R in RefusalReason]: { readonly ok: false; readonly reason: R } };

/**
 * Builds the check for one issuer, audience and key source. Throws on invalid options, listing
 * every problem.
 *
 * @example
 * const check = createAccessTokenCheck({ issuer, audience, algorithms: ["ES256"], findKey: (kid) => keys.get(kid), confirmation: "refuse" });
 * const result = check(token, Date.now());
 * if (result.ok) console.log(result.claims.sub);
 */
export function createAccessTokenCheck(options: AccessTokenCheckOptions): AccessTokenCheck {
  const { read, conclude } = compileCheck(options);
  return (token, nowMs) => {
    try {
      const signed = read(token);
      if (!("signingInput" in signed)) return signed;
      return conclude(signed, verifyJwsSignature(signed.key, signed.signingInput, signed.signature), nowMs);
    } catch {
      // node:crypto may throw on odd keys or inputs; for the caller it is one more bad token.
      return REFUSED.malformed;
    }
  };
}

/**
 * As `createAccessTokenCheck`, with the signature (the costly step: about 0.1 ms for ES256) checked
 * on libuv's thread pool, so that the event loop serves other requests meanwhile and the machine's
 * other cores share the work. A token refused before its signature is answered at once.
 *
 * @example
 * const check = createOffThreadAccessTokenCheck(options);
 * const result = await check(token, Date.now());
 */
export function createOffThreadAccessTokenCheck(options: AccessTokenCheckOptions): OffThreadAccessTokenCheck {
  const { read, conclude } = compileCheck(options);
  return async (token, nowMs) => {
    try {
      const signed = read(token);
      if (!("signingInput" in signed)) return signed;
      const valid = await verifyJwsSignatureOffThread(signed.key, signed.signingInput, signed.signature);
      return conclude(signed, valid, nowMs);
    } catch {
      return REFUSED.malformed;
    }
  };
}

/** A token whose header passed, read up to its signature. */
interface SignedToken {
  readonly key: VerificationKey;
  readonly signingInput: Buffer;
  readonly signature: Buffer;
  readonly payloadSegment: string;
}

/** The check in two steps around the signature, which the caller verifies on- or off-thread. */
function compileCheck(options: AccessTokenCheckOptions): {
  read(token: string): SignedToken | AccessTokenCheckResult;
  conclude(signed: SignedToken, signatureValid: boolean, nowMs: number): AccessTokenCheckResult;
} {
  const { issuer, audience, findKey, confirmation } = options;
  const expLeewayMs = options.expLeewayMs ?? 0;
  const problems = checkOptions(options, expLeewayMs);
  if (problems.length > 0) throw new Error(`createAccessTokenCheck: ${problems.join("; ")}`);
  const allowed: ReadonlySet<string> = new Set(options.algorithms);

  // Every token signed by one key has the same header segment: it is decoded once. Bounded, since
  // refused headers are remembered too; the decoded objects are only ever read.
  const headers = new Map<string, Readonly<Record<string, unknown>> | null>();
  function decodeHeader(segment: string): Readonly<Record<string, unknown>> | null {
    let header = headers.get(segment);
    if (header === undefined) {
      header = decodeJsonObject(segment);
      if (headers.size >= HEADER_CACHE_ENTRIES) headers.clear();
      headers.set(segment, header);
    }
    return header;
  }

  function read(token: string): SignedToken | AccessTokenCheckResult {
    if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token))
      return REFUSED.malformed;
    const firstDot = token.indexOf(".");
    const secondDot = token.indexOf(".", firstDot + 1);
    const header = decodeHeader(token.slice(0, firstDot));
    if (header === null) return REFUSED.malformed;

    // RFC 8725 §3.1–3.2: an allow-list of algorithms, without `none`.
    const alg = own(header, "alg");
    if (typeof alg !== "string" || !allowed.has(alg)) return REFUSED.algorithm;
    const typ = own(header, "typ");
    if (typeof typ !== "string" || !ACCESS_TOKEN_TYPES.has(typ.toLowerCase())) return REFUSED.type;
    for (const name of FORBIDDEN_HEADERS) if (Object.hasOwn(header, name)) return REFUSED.header;
    const kid = own(header, "kid");
    if (typeof kid !== "string" || !KID_PATTERN.test(kid)) return REFUSED.header;
    // An unknown `kid` fails rather than falling back to some other (or an empty) key.
    const key = findKey(kid);
    if (key === undefined) return REFUSED.unknown_key;
    // RFC 8725 §2.1 / §3.1: the key's algorithm, not the token's claim, decides; this is what
    // stops HS256 "signed" with a public key.
    if (key.alg !== alg) return REFUSED.algorithm;

    const signature = decodeBase64Url(token.slice(secondDot + 1));
    if (signature === null) return REFUSED.malformed;
    return {
      key,
      signingInput: Buffer.from(token.slice(0, secondDot), "latin1"),
      signature,
      payloadSegment: token.slice(firstDot + 1, secondDot),
    };
  }

  /** The payload is read only once the signature is known to be good. */
  function conclude(signed: SignedToken, signatureValid: boolean, nowMs: number): AccessTokenCheckResult {
    if (!signatureValid) return REFUSED.signature;
    const payload = decodeJsonObject(signed.payloadSegment);
    if (payload === null) return REFUSED.malformed;
    const refusal = refuseClaims(payload, nowMs);
    return refusal ?? { ok: true, claims: payload as CheckedClaims };
  }

  /** Everything but the signature is the token's word: check what Portcullis guarantees. */
  function refuseClaims(payload: Record<string, unknown>, nowMs: number): AccessTokenCheckResult | null {
    // RFC 8725 §3.8–3.9, RFC 9068 §4: our issuer, our audience.
    if (own(payload, "iss") !== issuer) return REFUSED.issuer;
    const aud = own(payload, "aud");
    if (aud !== audience && !(isStringArray(aud) && aud.includes(audience))) return REFUSED.audience;
    const exp = own(payload, "exp");
    const iat = own(payload, "iat");
    if (!isFiniteNumber(exp) || !isFiniteNumber(iat) || !isFiniteNumber(own(payload, "auth_time")))
      return REFUSED.claims;
    if (
      !isNonEmptyString(own(payload, "sub")) ||
      !isNonEmptyString(own(payload, "sid")) ||
      !isNonEmptyString(own(payload, "jti"))
    )
      return REFUSED.claims;
    if (!isStringArray(own(payload, "roles")) || !isStringArray(own(payload, "amr"))) return REFUSED.claims;
    const scope = own(payload, "scope");
    if (scope !== undefined && typeof scope !== "string") return REFUSED.claims;
    const clientId = own(payload, "client_id");
    if (clientId !== undefined && !isNonEmptyString(clientId)) return REFUSED.claims;
    const nbf = own(payload, "nbf");
    if (nbf !== undefined && !isFiniteNumber(nbf)) return REFUSED.claims;
    const cnf = own(payload, "cnf");
    if (cnf !== undefined) {
      if (confirmation === "refuse") return REFUSED.bound;
      // A binding this caller cannot check (an mTLS certificate, RFC 8705) must not be ignored.
      if (
        typeof cnf !== "object" ||
        cnf === null ||
        !isNonEmptyString(own(cnf as Record<string, unknown>, "jkt"))
      )
        return REFUSED.bound;
    }
    if (exp * 1000 + expLeewayMs <= nowMs) return REFUSED.expired;
    if (iat * 1000 > nowMs + IAT_LEEWAY_MS) return REFUSED.not_yet_valid;
    if (nbf !== undefined && nbf * 1000 > nowMs + NBF_LEEWAY_MS) return REFUSED.not_yet_valid;
    return null;
  }

  return { read, conclude };
}

function checkOptions(options: AccessTokenCheckOptions, expLeewayMs: number): string[] {
  const problems: string[] = [];
  if (!isNonEmptyString(options.issuer)) problems.push("issuer must be a non-empty string");
  if (!isNonEmptyString(options.audience)) problems.push("audience must be a non-empty string");
  if (!Array.isArray(options.algorithms) || options.algorithms.length === 0)
    problems.push("algorithms must be a non-empty list");
  else
    for (const alg of options.algorithms)
      if (!JWS_ALGORITHMS.includes(alg)) problems.push(`unsupported algorithm ${JSON.stringify(alg)}`);
  if (typeof options.findKey !== "function") problems.push("findKey must be a function");
  if (options.confirmation !== "refuse" && options.confirmation !== "dpop")
    problems.push('confirmation must be "refuse" or "dpop"');
  if (!(Number.isInteger(expLeewayMs) && expLeewayMs >= 0))
    problems.push("expLeewayMs must be a non-negative integer");
  return problems;
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
  if (!Array.isArray(value)) return false;
  for (const item of value) if (typeof item !== "string") return false;
  return true;
}
