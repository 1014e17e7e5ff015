/**
 * Authentication of API requests. `request.auth` is declared up front (null) and filled by the
 * `authenticate` hook that protected routes list in `onRequest`. Each kind of credential (a
 * bearer access token; an `X-API-Key` on routes with `config: { apiKey: true }`; the session
 * cookie) is a `CredentialResolver`; the first one whose credential is present decides, in
 * the order given (bearer before the cookie, so a bearer token wins when both are sent). A
 * bearer token is verified locally: signature (or the verified-token cache) and the in-memory
 * revocation set, no I/O; the cookie is looked up in the store. No credentials: 401
 * `unauthenticated`; a credential that fails: 401 with the resolver's code (`invalid_token`,
 * `invalid_api_key`).
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import type { ApiKeyService } from "../../domain/api-keys/api-key-service.js";
import type { SessionService } from "../../domain/sessions/session-service.js";
import type { AccessTokenClaims } from "../../domain/tokens/access-token.js";
import { clientContext } from "../client-context.js";
import { type CsrfGuardOptions, checkCsrf } from "../csrf.js";
import { type ProblemCode, ProblemError } from "../problem.js";
import { readSessionCookie } from "../session-cookie.js";

export type CredentialKind = "bearer" | "cookie" | "api_key";

export interface AuthContext {
  userId: string;
  /** The session the credential belongs to; null for API keys. */
  sessionId: string | null;
  roles: string[];
  amr: string[];
  /** Seconds since the epoch of the last interactive authentication. */
  authTime: number;
  /**
   * The scopes the credential carries, space-separated: a token's `scope` claim (undefined when
   * it has none, which carries no scope), an API key's scopes, or what a cookie owner's roles grant.
   */
  scope: string | undefined;
  credential: CredentialKind;
}

export interface CredentialResolver {
  kind: CredentialKind;
  /** The code of the 401 when the credential is present but fails. */
  invalidCode: Extract<ProblemCode, "invalid_token" | "invalid_api_key">;
  /** Whether the request carries this kind of credential at all. */
  isPresent(request: FastifyRequest): boolean;
  /** The caller, or null when the credential fails. */
  resolve(request: FastifyRequest): AuthContext | null | Promise<AuthContext | null>;
}

declare module "fastify" {
  interface FastifyRequest {
    auth: AuthContext | null;
  }
  interface FastifyInstance {
    authenticate: (request: FastifyRequest) => Promise<void>;
  }
  interface FastifyContextConfig {
    /** The route accepts `X-API-Key` (API.md: "where an endpoint says so"). */
    apiKey?: boolean;
  }
}

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** The authenticated caller of a route that listed `app.authenticate`. */
export function requireAuth(request: FastifyRequest): AuthContext {
  if (request.auth === null) throw new ProblemError("unauthenticated");
  return request.auth;
}

/** The session of the caller; for routes that only make sense for a session (not an API key). */
export function requireSessionAuth(request: FastifyRequest): AuthContext & { sessionId: string } {
  const auth = requireAuth(request);
  if (auth.sessionId === null)
    throw new ProblemError("invalid_token", { detail: "This needs a signed-in session." });
  return auth as AuthContext & { sessionId: string };
}

export function bearerTokenResolver(sessions: SessionService): CredentialResolver {
  return {
    kind: "bearer",
    invalidCode: "invalid_token",
    isPresent: (request) =>
      request.headers.authorization !== undefined && request.headers.authorization !== "",
    resolve(request) {
      const token = BEARER.exec(request.headers.authorization ?? "")?.[1];
      if (token === undefined) return null;
      const claims = sessions.authenticateAccessToken(token);
      return claims instanceof Promise ? claims.then(bearerContext) : bearerContext(claims);
    },
  };
}

function bearerContext(claims: AccessTokenClaims | null): AuthContext | null {
  // A token the OpenID provider issued to a client is for resource servers (and userinfo),
  // never Portcullis's own API: a client must not act as the person on their account.
  if (claims === null || claims.client_id !== undefined) return null;
  return {
    userId: claims.sub,
    sessionId: claims.sid,
    roles: claims.roles,
    amr: claims.amr,
    authTime: claims.auth_time,
    scope: claims.scope,
    credential: "bearer",
  };
}

/**
 * `X-API-Key`, on routes that opt in with `config: { apiKey: true }`; elsewhere the header is as
 * good as absent. Never read from the query string (ASVS 14.2.1: no secrets in URLs). The key
 * is looked up by its prefix (one indexed read) and its owner checked on every use; the caller
 * acts with the owner's current roles and exactly the key's scopes.
 */
export function apiKeyResolver(apiKeys: ApiKeyService): CredentialResolver {
  return {
    kind: "api_key",
    invalidCode: "invalid_api_key",
    isPresent: (request) =>
      request.routeOptions.config.apiKey === true &&
      request.headers["x-api-key"] !== undefined &&
      request.headers["x-api-key"] !== "",
    async resolve(request) {
      const presented = request.headers["x-api-key"];
      if (typeof presented !== "string") return null;
      const found = await apiKeys.authenticate(presented.trim());
      if (found === null) return null;
      return {
        userId: found.user.id,
        sessionId: null,
        roles: found.user.roles,
        amr: [],
        authTime: Math.floor(found.key.createdAt / 1000),
        scope: found.key.scopes.join(" "),
        credential: "api_key",
      };
    },
  };
}

/**
 * The session cookie (`pc_session` / `__Host-pc_session`). Unlike a bearer token it carries no
 * claims: it is resolved through the store (one indexed read by its SHA-256, joined to the
 * owner), which is also what makes its revocation immediate. A browser attaches it by itself,
 * so state-changing requests must also pass the CSRF check (`403 csrf_failed`, http/csrf.ts).
 * It carries the scopes its owner's current roles grant, as a session's access token does.
 */
export function sessionCookieResolver(
  sessions: SessionService,
  secureCookies: boolean,
  csrf: CsrfGuardOptions,
): CredentialResolver {
  return {
    kind: "cookie",
    invalidCode: "invalid_token",
    isPresent: (request) => readSessionCookie(request, secureCookies) !== undefined,
    async resolve(request) {
      const cookie = readSessionCookie(request, secureCookies);
      const found =
        cookie === undefined
          ? null
          : await sessions.authenticateSessionCookie(cookie, clientContext(request));
      if (found === null) return null;
      checkCsrf(request, found.session.id, csrf);
      return {
        userId: found.session.userId,
        sessionId: found.session.id,
        roles: found.roles,
        amr: found.session.amr,
        authTime: found.session.authTime,
        scope: found.scope,
        credential: "cookie",
      };
    },
  };
}

export const authentication = fp(
  async (app: FastifyInstance, options: { resolvers: CredentialResolver[] }) => {
    app.decorateRequest("auth", null);
    app.decorate("authenticate", async (request: FastifyRequest) => {
      const resolver = options.resolvers.find((candidate) => candidate.isPresent(request));
      if (resolver === undefined) throw new ProblemError("unauthenticated");
      const auth = await resolver.resolve(request);
      if (auth === null) throw new ProblemError(resolver.invalidCode);
      request.auth = auth;
    });
  },
  { name: "portcullis-authentication" },
);
