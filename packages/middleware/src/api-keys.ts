/**
 * API keys (`X-API-Key`) presented to a resource server. A key is opaque: only Portcullis can
 * tell whether it is live, whose it is and what it may do, so it is asked over RFC 7662
 * introspection (`POST /v1/auth/introspect`, authenticated by this service's own key with the
 * `introspect` scope). Answers are cached briefly — `cacheTtlMs`, 10 s by default, which is how
 * long a revoked key may still work here — keyed by the key's SHA-256, never the key itself.
 * Concurrent requests with one key share one call.
 */
import { createHash } from "node:crypto";
import { createPortcullisClient } from "./portcullis-client.js";
import { isHttpUrl } from "./revocation.js";
import {
  type ApiKeyAuth,
  type ApiKeyIntrospection,
  type Clock,
  deepFreeze,
  type ErrorReporter,
  parseScope,
  systemClock,
} from "./types.js";

export interface ApiKeyClientOptions {
  /** Where this service reaches Portcullis, e.g. `http://portcullis.internal:3000`. */
  portcullisUrl: string;
  /** This service's API key with the `introspect` scope (an administrator makes it). */
  apiKey: string;
  /** How long an answer is reused; default 10 000 ms (a revoked key works here that long at most). */
  cacheTtlMs?: number;
  /** Answers remembered; default 1000. */
  cacheSize?: number;
  /** Timeout of one introspection; default 5000 ms. */
  timeoutMs?: number;
  clock?: Clock;
  onError?: ErrorReporter;
}

export type ApiKeyResult =
  | { ok: true; auth: ApiKeyAuth }
  | { ok: false; code: "invalid_api_key" }
  | { ok: false; code: "service_unavailable"; retryAfterSeconds?: number };

export interface ApiKeyClient {
  /** Validates a presented key (cached). Never rejects. */
  authenticate(presented: string): Promise<ApiKeyResult>;
  /** Forgets cached answers about the user's keys (the user was disabled or deleted). */
  forgetUser(userId: string): void;
  clearCache(): void;
}

/** Portcullis keys are `pc_` + 12 + `_` + 43 base62 characters; anything else is refused unasked. */
const API_KEY_SHAPE = /^pc_[0-9A-Za-z]{12}_[0-9A-Za-z]{43}$/;
const INVALID: ApiKeyResult = { ok: false, code: "invalid_api_key" };

interface CacheEntry {
  result: ApiKeyResult;
  expiresAt: number;
  userId: string | null;
}

/**
 * @example
 * const apiKeys = createApiKeyClient({ portcullisUrl: "http://portcullis:3000", apiKey: process.env.PORTCULLIS_INTROSPECT_KEY! });
 * const result = await apiKeys.authenticate(request.headers["x-api-key"]);
 */
export function createApiKeyClient(options: ApiKeyClientOptions): ApiKeyClient {
  const problems = checkOptions(options);
  if (problems.length > 0) throw new Error(`createApiKeyClient: ${problems.join("; ")}`);
  const clock = options.clock ?? systemClock;
  const onError = options.onError ?? (() => {});
  const ttlMs = options.cacheTtlMs ?? 10_000;
  const cacheSize = options.cacheSize ?? 1_000;
  const client = createPortcullisClient({
    url: options.portcullisUrl,
    apiKey: options.apiKey,
    timeoutMs: options.timeoutMs ?? 5_000,
  });
  const cache = new Map<string, CacheEntry>();
  const inFlight = new Map<string, Promise<ApiKeyResult>>();

  async function ask(presented: string): Promise<CacheEntry | ApiKeyResult> {
    const outcome = await client.introspect(presented);
    if (!outcome.ok) {
      onError(
        new Error(`POST /v1/auth/introspect failed (${outcome.status ?? "no answer"})`),
        "validating an API key",
      );
      // Not an answer about the key: nothing is cached.
      return {
        ok: false,
        code: "service_unavailable",
        ...(outcome.retryAfter === undefined ? {} : { retryAfterSeconds: outcome.retryAfter }),
      };
    }
    const expiresAt = clock.now() + ttlMs;
    const body = outcome.value;
    if (body.active !== true) return { result: INVALID, expiresAt, userId: null };
    const auth = readIntrospection(body);
    if (auth === null) {
      onError(new Error("POST /v1/auth/introspect answered an unexpected body"), "validating an API key");
      return { ok: false, code: "service_unavailable" };
    }
    // Never beyond the key's own expiry.
    const keyExpiresAt = auth.claims.exp === undefined ? Number.POSITIVE_INFINITY : auth.claims.exp * 1000;
    return { result: { ok: true, auth }, expiresAt: Math.min(expiresAt, keyExpiresAt), userId: auth.userId };
  }

  return {
    async authenticate(presented) {
      if (typeof presented !== "string" || !API_KEY_SHAPE.test(presented)) return INVALID;
      const id = createHash("sha256").update(presented).digest("base64url");
      const cached = cache.get(id);
      if (cached !== undefined) {
        if (cached.expiresAt > clock.now()) return cached.result;
        cache.delete(id);
      }
      const pending = inFlight.get(id);
      if (pending !== undefined) return pending;
      const call = ask(presented).then((answer) => {
        if (!("expiresAt" in answer)) return answer;
        if (cache.size >= cacheSize) {
          const oldest = cache.keys().next();
          if (oldest.done !== true) cache.delete(oldest.value);
        }
        cache.set(id, answer);
        return answer.result;
      });
      inFlight.set(id, call);
      try {
        return await call;
      } finally {
        inFlight.delete(id);
      }
    },
    forgetUser(userId) {
      for (const [id, entry] of cache) if (entry.userId === userId) cache.delete(id);
    },
    clearCache() {
      cache.clear();
    },
  };
}

function readIntrospection(body: Record<string, unknown>): ApiKeyAuth | null {
  const { token_type, sub, key_id, scope, roles, iat, exp } = body;
  if (token_type !== "api_key") return null;
  if (typeof sub !== "string" || sub === "" || typeof key_id !== "string" || typeof scope !== "string")
    return null;
  if (!Array.isArray(roles) || !roles.every((role) => typeof role === "string")) return null;
  if (typeof iat !== "number" || (exp !== undefined && typeof exp !== "number")) return null;
  const claims = Object.assign(Object.create(null) as object, body) as ApiKeyIntrospection;
  return deepFreeze({
    via: "apiKey",
    userId: sub,
    sessionId: null,
    keyId: key_id,
    roles: [...roles] as string[],
    scopes: parseScope(scope),
    amr: [],
    authTime: iat,
    claims,
  });
}

function checkOptions(options: ApiKeyClientOptions): string[] {
  const problems: string[] = [];
  if (!isHttpUrl(options.portcullisUrl)) problems.push("portcullisUrl must be an http(s) URL");
  if (typeof options.apiKey !== "string" || !API_KEY_SHAPE.test(options.apiKey))
    problems.push("apiKey must be a Portcullis API key (pc_…) with the introspect scope");
  for (const name of ["cacheTtlMs", "cacheSize", "timeoutMs"] as const) {
    const value = options[name];
    if (value !== undefined && !(Number.isInteger(value) && value >= 0))
      problems.push(`${name} must be a non-negative integer`);
  }
  return problems;
}
