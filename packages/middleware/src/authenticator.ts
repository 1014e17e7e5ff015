/**
 * The framework-neutral part of the middleware: from a request's `Authorization` and `X-API-Key`
 * headers to a verified caller or a problem to answer, and the role and scope guards. The
 * Express and Fastify adapters only read headers and write responses. Returns synchronously
 * whenever it can (a token verified before, or with a known key), so the hot path allocates no
 * promise.
 */
import { type ApiKeyClient, type ApiKeyClientOptions, createApiKeyClient } from "./api-keys.js";
import { createProblem, HEADER_SAFE, type Problem } from "./problems.js";
import type { RevocationListener } from "./revocation.js";
import type { PortcullisAuth } from "./types.js";
import {
  createTokenVerifier,
  type TokenVerifier,
  type TokenVerifierOptions,
  type VerifyResult,
} from "./verifier.js";

interface CommonAuthenticateOptions {
  /**
   * Also accept `X-API-Key` (when the request has no `Authorization`), validated by Portcullis
   * over introspection: a client, or the options to make one.
   */
  apiKeys?: ApiKeyClient | ApiKeyClientOptions;
  /** RFC 6750 `realm` in `WWW-Authenticate` challenges; omitted by default. */
  realm?: string;
}

/** Options of `authenticate`: the verifier's options, or a verifier shared with other routes. */
export type AuthenticateOptions =
  | (TokenVerifierOptions & CommonAuthenticateOptions)
  | ({ verifier: TokenVerifier } & CommonAuthenticateOptions);

/** Options of `apiKey`: a client's options, or a client shared with other routes. */
export type ApiKeyOptions = (ApiKeyClientOptions | { client: ApiKeyClient }) & {
  realm?: string;
  revocations?: RevocationListener;
};

export type AuthOutcome = { ok: true; auth: PortcullisAuth } | { ok: false; problem: Problem };

export interface Authenticator {
  /** A verified caller, or the problem to answer. */
  authenticate(
    authorization: string | undefined,
    apiKey: string | string[] | undefined,
  ): AuthOutcome | Promise<AuthOutcome>;
  readonly verifier: TokenVerifier | undefined;
  readonly apiKeys: ApiKeyClient | undefined;
  /** Fetches the JWKS and waits for the revocation listener's first catch-up. */
  ready(): Promise<void>;
}

// RFC 6750 §2.1: "Bearer" (any case), one or more spaces, a b64token.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const SPACE = 32;

/**
 * The token of a bearer `Authorization` header. The usual form skips the regular expression: what
 * it would let through and the slice does not is refused by the verifier anyway (only compact
 * JWS characters are ever verified, and the cache holds only verified tokens).
 */
function bearerToken(header: string): string | undefined {
  if (
    header.startsWith("Bearer ") &&
    header.charCodeAt(7) !== SPACE &&
    header.charCodeAt(header.length - 1) !== SPACE
  )
    return header.slice(7);
  return BEARER.exec(header)?.[1];
}

function toApiKeyClient(value: ApiKeyClient | ApiKeyClientOptions): ApiKeyClient {
  return "authenticate" in value ? value : createApiKeyClient(value);
}

function checkRealm(realm: string | undefined, caller: string): void {
  if (realm !== undefined && !HEADER_SAFE.test(realm))
    throw new Error(`${caller}: realm must be 1–128 of A–Z a–z 0–9 space _ : . / @ + -`);
}

/** Builds the bearer-token authenticator (optionally also accepting API keys). */
export function createAuthenticator(options: AuthenticateOptions): Authenticator {
  checkRealm(options.realm, "authenticate");
  const verifier = "verifier" in options ? options.verifier : createTokenVerifier(options);
  const apiKeys = options.apiKeys === undefined ? undefined : toApiKeyClient(options.apiKeys);
  const { realm } = options;
  const problems = {
    unauthenticated: createProblem("unauthenticated", { realm }),
    invalidToken: createProblem("invalid_token", { realm }),
    unavailable: createProblem("service_unavailable", { realm }),
  };
  const apiKeyOutcome =
    apiKeys === undefined ? undefined : createApiKeyOutcome(apiKeys, verifier.revocations, realm);

  const fromResult = (result: VerifyResult): AuthOutcome => {
    if (result.ok) return result;
    return {
      ok: false,
      problem: result.code === "invalid_token" ? problems.invalidToken : problems.unavailable,
    };
  };

  return {
    authenticate(authorization, apiKey) {
      if (authorization === undefined || authorization === "") {
        if (apiKeyOutcome !== undefined && apiKey !== undefined && apiKey !== "")
          return apiKeyOutcome(apiKey);
        return { ok: false, problem: problems.unauthenticated };
      }
      const token = bearerToken(authorization);
      if (token === undefined || token === "") return { ok: false, problem: problems.invalidToken };
      const cached = verifier.verifyCached(token);
      return cached === undefined ? verifier.verify(token).then(fromResult) : fromResult(cached);
    },
    verifier,
    apiKeys,
    async ready() {
      await verifier.ready();
    },
  };
}

/** Builds the API-key-only authenticator. */
export function createApiKeyAuthenticator(options: ApiKeyOptions): Authenticator {
  checkRealm(options.realm, "apiKey");
  const apiKeys = "client" in options ? options.client : createApiKeyClient(options);
  const outcome = createApiKeyOutcome(apiKeys, options.revocations, options.realm);
  const unauthenticated = createProblem("unauthenticated", { realm: options.realm, scheme: "ApiKey" });
  return {
    authenticate(_authorization, apiKey) {
      if (apiKey === undefined || apiKey === "") return { ok: false, problem: unauthenticated };
      return outcome(apiKey);
    },
    verifier: undefined,
    apiKeys,
    async ready() {
      await options.revocations?.ready();
    },
  };
}

function createApiKeyOutcome(
  apiKeys: ApiKeyClient,
  revocations: RevocationListener | undefined,
  realm: string | undefined,
): (apiKey: string | string[]) => Promise<AuthOutcome> {
  const invalid = createProblem("invalid_api_key", { realm });
  // A user cut off at Portcullis (disabled, deleted) loses their cached keys at once.
  revocations?.onEvent((event) => {
    if (event.kind === "user") apiKeys.forgetUser(event.userId);
  });
  return async (apiKey) => {
    // Several X-API-Key headers: ambiguous, refused.
    if (typeof apiKey !== "string") return { ok: false, problem: invalid };
    const result = await apiKeys.authenticate(apiKey.trim());
    if (result.ok) return result;
    if (result.code === "invalid_api_key") return { ok: false, problem: invalid };
    return {
      ok: false,
      problem: createProblem("service_unavailable", {
        realm,
        ...(result.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: result.retryAfterSeconds }),
      }),
    };
  };
}

/** The role guard: null when the caller holds at least one of `roles`. */
export function createRoleGuard(
  roles: readonly string[],
): (auth: PortcullisAuth | null | undefined) => Problem | null {
  if (roles.length === 0) throw new Error("authorize: name at least one role");
  for (const role of roles)
    if (!HEADER_SAFE.test(role)) throw new Error(`authorize: odd role name ${JSON.stringify(role)}`);
  const unauthenticated = createProblem("unauthenticated", {});
  const insufficient = createProblem("insufficient_role", {
    detail: `This needs the role ${roles.map((role) => `"${role}"`).join(" or ")}.`,
  });
  return (auth) => {
    if (auth == null) return unauthenticated;
    return roles.some((role) => auth.roles.includes(role)) ? null : insufficient;
  };
}

/**
 * The scope guard: null when the credential carries every one of `scopes`. Scopes fail closed
 * (API.md "Scopes fail closed"): a token without a `scope` claim carries none and is refused.
 */
export function createScopeGuard(
  scopes: readonly string[],
): (auth: PortcullisAuth | null | undefined) => Problem | null {
  if (scopes.length === 0) throw new Error("requireScopes: name at least one scope");
  for (const scope of scopes)
    if (!HEADER_SAFE.test(scope) || scope.includes(" "))
      throw new Error(`requireScopes: odd scope name ${JSON.stringify(scope)}`);
  const unauthenticated = createProblem("unauthenticated", {});
  const detail = `This needs the scope ${scopes.map((scope) => `"${scope}"`).join(" and ")}.`;
  const insufficient = {
    Bearer: createProblem("insufficient_scope", { detail, scope: scopes, scheme: "Bearer" }),
    ApiKey: createProblem("insufficient_scope", { detail, scope: scopes, scheme: "ApiKey" }),
  };
  return (auth) => {
    if (auth == null) return unauthenticated;
    const granted = auth.scopes;
    if (scopes.every((scope) => granted.includes(scope))) return null;
    return insufficient[auth.via === "apiKey" ? "ApiKey" : "Bearer"];
  };
}
