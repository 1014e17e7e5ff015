/**
 * Local verification of Portcullis access tokens: JWTs in the RFC 9068 profile (`typ: at+jwt`),
 * JWS compact serialisations (RFC 7515) checked with node:crypto and `KeyObject`s opened once
 * from the JWKS (2–3× faster than WebCrypto; `jose` fetches the JWKS and is the oracle in the
 * tests). The check is Portcullis's own, from `@portcullis/token-verifier` (bundled into this
 * package at build): RFC 8725 rules, `typ`, issuer, audience, times, every claim Portcullis puts
 * there, canonical encodings, no member named twice. A sender-constrained token (`cnf`) is
 * refused: this verifier cannot check a proof of possession.
 *
 * Verified tokens are cached (keyed by the exact token string, bounded in number and by `exp`),
 * so a token seen again costs a map lookup; on the request path (`verify`, the adapters) a token
 * not in the cache has its signature checked on libuv's thread pool, so the event loop serves
 * other requests meanwhile. Revocation, when a listener is given, is checked on every request,
 * cached or not.
 */
import {
  type AccessTokenCheckResult,
  createAccessTokenCheck,
  createOffThreadAccessTokenCheck,
  createVerifiedTokenCache,
  MAX_TOKEN_LENGTH,
  REFUSAL_REASONS,
} from "@portcullis/token-verifier";
import { createRemoteKeySet, type RemoteKeySet } from "./jwks.js";
import { isHttpUrl, type RevocationListener } from "./revocation.js";
import {
  type AccessTokenClaims,
  ALGORITHMS,
  type Algorithm,
  type Clock,
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
  /**
   * Verifies a token, fetching the JWKS first when needed; a signature is checked on libuv's
   * thread pool. Never rejects.
   */
  verify(token: string): Promise<VerifyResult>;
  /**
   * The synchronous path: the result, or `undefined` when it needs I/O first (keys not loaded,
   * an unknown `kid`, the revocation listener still starting) — then call `verify`.
   */
  verifyNow(token: string): VerifyResult | undefined;
  /**
   * The result when it needs no signature check and no I/O (a token in the cache, or one refused
   * unread), otherwise `undefined` — then call `verify`. The adapters' fast path.
   */
  verifyCached(token: string): VerifyResult | undefined;
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

/**
 * Every refusal: the core's reasons and revocation. `TokenFailure` spells them out because the
 * published declarations must not name the bundled core; `satisfies` keeps the two in step.
 */
const FAILURES = [...REFUSAL_REASONS, "revoked"] as const satisfies readonly TokenFailure[];

/** One frozen result per reason: a refusal allocates nothing. */
const INVALID = Object.fromEntries(
  FAILURES.map((reason) => [reason, Object.freeze({ ok: false, code: "invalid_token", reason })]),
) as { readonly [R in TokenFailure]: VerifyResult };
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
  const accessTokenCheckOptions = {
    issuer,
    audience,
    algorithms,
    findKey: (kid: string) => keys.get(kid),
    confirmation: "refuse",
    expLeewayMs,
  } as const;
  const check = createAccessTokenCheck(accessTokenCheckOptions);
  const checkOffThread = createOffThreadAccessTokenCheck(accessTokenCheckOptions);
  const cache = createVerifiedTokenCache<CachedToken>(cacheSize);
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
        return INVALID.revoked;
      case "unavailable":
        return REVOCATION_UNAVAILABLE;
    }
  }

  /** The cache's answer, a refusal of what cannot be a token, or `undefined`: check it. */
  function lookUp(token: string, now: number): VerifyResult | undefined {
    if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH) return INVALID.malformed;
    // A withdrawn key may have verified a cached token.
    if (keys.version !== cacheVersion) {
      cache.clear();
      cacheVersion = keys.version;
    }
    const cached = cache.get(token);
    if (cached === undefined) return undefined;
    if (cached.expMs + expLeewayMs > now) return checkRevocation(cached.auth);
    cache.delete(token);
    return INVALID.expired;
  }

  /**
   * The check's verdict as the caller's result; `undefined` when the key is unknown (the JWKS
   * should be fetched) or the revocation listener is not ready yet.
   */
  function conclude(
    token: string,
    result: AccessTokenCheckResult,
    keysVersion: number,
  ): VerifyResult | undefined {
    if (!result.ok) return result.reason === "unknown_key" ? undefined : INVALID[result.reason];
    // A prototype-less frozen copy: the claims object handed to applications has no inherited surprises.
    const claims = freezeClaims(result.claims);
    const auth: TokenAuth = Object.freeze({
      via: "token",
      userId: claims.sub,
      sessionId: claims.sid,
      roles: claims.roles,
      scopes: Object.freeze(parseScope(claims.scope)),
      amr: claims.amr,
      authTime: claims.auth_time,
      claims,
    });
    // Tokens with `nbf` are not cached (Portcullis issues none), so every time check re-runs on a
    // hit; nor is one checked against keys that have changed since (its key may be withdrawn).
    if (claims.nbf === undefined && keys.version === keysVersion)
      cache.set(token, { auth, expMs: claims.exp * 1000 });
    return checkRevocation(auth);
  }

  /** A verdict is final once it needs no I/O: then the key set may refresh itself if stale. */
  function settled(result: VerifyResult | undefined): VerifyResult | undefined {
    if (result !== undefined) keys.refreshIfStale();
    return result;
  }

  function verifyNow(token: string): VerifyResult | undefined {
    try {
      const now = clock.now();
      return settled(lookUp(token, now) ?? conclude(token, check(token, now), keys.version));
    } catch {
      // The check never throws; a revocation listener or key set might. One more invalid token.
      return INVALID.malformed;
    }
  }

  function verifyCached(token: string): VerifyResult | undefined {
    try {
      return revocationsReady ? settled(lookUp(token, clock.now())) : undefined;
    } catch {
      return INVALID.malformed;
    }
  }

  /** As `verifyNow`, with the signature checked on libuv's thread pool. */
  async function verifyOffThread(token: string): Promise<VerifyResult | undefined> {
    try {
      const now = clock.now();
      const found = lookUp(token, now);
      if (found !== undefined) return settled(found);
      const keysVersion = keys.version;
      return settled(conclude(token, await checkOffThread(token, now), keysVersion));
    } catch {
      return INVALID.malformed;
    }
  }

  async function verifyToken(token: string): Promise<VerifyResult> {
    if (!revocationsReady) await revocations?.ready();
    const first = await verifyOffThread(token);
    if (first !== undefined) return first;
    // An unknown `kid` (a rotation) or no keys yet: fetch the JWKS, at most once per cooldown.
    await keys.refresh();
    if (!keys.loaded) return KEYS_UNAVAILABLE;
    return (await verifyOffThread(token)) ?? INVALID.unknown_key;
  }

  return {
    verify: verifyToken,
    verifyNow,
    verifyCached,
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

/**
 * Claims as handed to applications: prototype-less (no inherited surprises) and deeply frozen.
 * The object is the one the check parsed, so it is ours to change; `setPrototypeOf` keeps it a
 * fast object, where a copy into `Object.create(null)` would be a slower dictionary.
 */
function freezeClaims(checked: Readonly<Record<string, unknown>>): AccessTokenClaims {
  Object.setPrototypeOf(checked, null);
  return freezeJson(checked) as AccessTokenClaims;
}

/** Freezes a parsed JSON value: only objects and arrays need it. */
function freezeJson<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    for (const item of value) if (typeof item === "object") freezeJson(item);
  } else {
    for (const name of Object.keys(value)) freezeJson((value as Record<string, unknown>)[name]);
  }
  return Object.freeze(value);
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
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
