/**
 * The shapes `@portcullis/middleware` hands to applications: the verified caller (`req.auth`),
 * the access-token claims (API.md "Access token", RFC 9068 §2.2) and the injected clock.
 */

/** Time source; tests inject a manual one. Milliseconds since the Unix epoch. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** The JWS algorithms a Portcullis JWKS may publish (HS256 keys are never published). */
export type Algorithm = "ES256" | "RS256" | "EdDSA";

export const ALGORITHMS: readonly Algorithm[] = Object.freeze(["ES256", "RS256", "EdDSA"]);

/** The claims of a Portcullis access token. Times in seconds since the epoch. */
export interface AccessTokenClaims {
  readonly iss: string;
  readonly aud: string | readonly string[];
  /** The user id. */
  readonly sub: string;
  /** The session the token belongs to. */
  readonly sid: string;
  readonly jti: string;
  readonly iat: number;
  readonly exp: number;
  readonly nbf?: number;
  readonly roles: readonly string[];
  /** RFC 8176 values: `pwd`, `otp`, `hwk`, `mfa`. */
  readonly amr: readonly string[];
  readonly auth_time: number;
  /**
   * Space-separated. A session's token carries the scopes its user's roles grant at Portcullis
   * (`PORTCULLIS_ROLE_SCOPES`; an empty string for none); a token without it carries no scopes.
   */
  readonly scope?: string;
  readonly [claim: string]: unknown;
}

/** What `POST /v1/auth/introspect` (RFC 7662) answers for an active API key. */
export interface ApiKeyIntrospection {
  readonly active: true;
  readonly token_type: "api_key";
  /** The key's owner. */
  readonly sub: string;
  readonly key_id: string;
  readonly scope: string;
  /** The owner's current roles. */
  readonly roles: readonly string[];
  readonly iat: number;
  readonly exp?: number;
  readonly iss: string;
  readonly [member: string]: unknown;
}

interface AuthBase {
  readonly userId: string;
  readonly roles: readonly string[];
  /**
   * The scopes the credential carries: a token's `scope` claim split (none when it has no such
   * claim), or an API key's scopes. `requireScopes` lets a caller through only with every scope
   * it names (scopes fail closed).
   */
  readonly scopes: readonly string[];
  readonly amr: readonly string[];
  /** Seconds since the epoch of the last interactive authentication (an API key: its creation). */
  readonly authTime: number;
}

/** A caller authenticated by a bearer access token, verified locally. */
export interface TokenAuth extends AuthBase {
  readonly via: "token";
  readonly sessionId: string;
  readonly claims: AccessTokenClaims;
}

/** A caller authenticated by an `X-API-Key`, validated by Portcullis (introspection). */
export interface ApiKeyAuth extends AuthBase {
  readonly via: "apiKey";
  readonly sessionId: null;
  readonly keyId: string;
  readonly claims: ApiKeyIntrospection;
}

/** `req.auth` / `request.auth`: frozen; shared between requests presenting the same credential. */
export type PortcullisAuth = TokenAuth | ApiKeyAuth;

/** Receives what the middleware could not do (a JWKS fetch, Redis, introspection); never secrets. */
export type ErrorReporter = (error: unknown, context: string) => void;

/** `"a b"` → `["a", "b"]`; an absent claim carries no scopes. */
export function parseScope(scope: string | undefined): string[] {
  if (scope === undefined) return [];
  return scope.split(" ").filter((part) => part !== "");
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
