/**
 * `@portcullis/middleware/fastify`: Fastify (4 or 5) `onRequest` hooks that verify Portcullis
 * access tokens locally (RFC 6750 bearer tokens, RFC 9068 JWTs, see `verifier.ts`), accept API
 * keys validated by Portcullis (RFC 7662 introspection), and guard routes by role and scope. The
 * caller is `request.auth`; a refusal is an RFC 9457 problem with Portcullis's `code`s and an
 * RFC 6750 `WWW-Authenticate` challenge. The hooks use the callback style and answer without a
 * promise when they can, so a token verified before costs a map lookup.
 *
 * @example
 * import Fastify from "fastify";
 * import { authenticate, authorize, portcullisAuth, requireScopes } from "@portcullis/middleware/fastify";
 *
 * const app = Fastify();
 * await app.register(portcullisAuth); // declares request.auth up front
 * const signedIn = authenticate({ issuer: "https://auth.example.com", audience: "https://auth.example.com" });
 * app.get("/me", { onRequest: signedIn }, async (request) => ({ userId: request.auth?.userId }));
 * app.delete("/things/:id", { onRequest: [signedIn, authorize("admin")] }, handler);
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from "fastify";
import {
  type ApiKeyOptions,
  type AuthenticateOptions,
  type Authenticator,
  type AuthOutcome,
  createApiKeyAuthenticator,
  createAuthenticator,
  createRoleGuard,
  createScopeGuard,
} from "./authenticator.js";
import { PROBLEM_CONTENT_TYPE, type Problem } from "./problems.js";
import type { PortcullisAuth } from "./types.js";

export type { ApiKeyOptions, AuthenticateOptions } from "./authenticator.js";
export type { ApiKeyAuth, PortcullisAuth, TokenAuth } from "./types.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The caller, set by `authenticate` or `apiKey`; null (or absent) before. */
    auth: PortcullisAuth | null;
  }
}

/** A callback-style `onRequest` hook. */
export type PortcullisHook = (
  request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
) => void;

export type AuthenticateHook = PortcullisHook & {
  readonly authenticator: Authenticator;
  /** Fetches the JWKS (and waits for the revocation listener); call it at start-up. */
  ready(): Promise<void>;
};

/**
 * Declares `request.auth` (null) on every request up front, as Fastify recommends for request
 * properties; not encapsulated (like `fastify-plugin`), so register it once at the root.
 */
export const portcullisAuth = Object.assign(
  async (app: FastifyInstance) => {
    if (!app.hasRequestDecorator("auth")) app.decorateRequest("auth", null);
  },
  {
    [Symbol.for("skip-override")]: true,
    [Symbol.for("fastify.display-name")]: "@portcullis/middleware",
  },
);

function sendProblem(reply: FastifyReply, problem: Problem): void {
  reply.code(problem.status).headers(problem.headers).type(PROBLEM_CONTENT_TYPE).send(problem.body);
}

function hookFor(authenticator: Authenticator): AuthenticateHook {
  const finish = (
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
    outcome: AuthOutcome,
  ) => {
    if (outcome.ok) {
      request.auth = outcome.auth;
      done();
    } else {
      // Answering from a callback-style hook: send, and do not call done.
      sendProblem(reply, outcome.problem);
    }
  };
  const hook: PortcullisHook = (request, reply, done) => {
    const outcome = authenticator.authenticate(request.headers.authorization, request.headers["x-api-key"]);
    if (outcome instanceof Promise) {
      outcome.then(
        (settled) => finish(request, reply, done, settled),
        (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
      );
    } else {
      finish(request, reply, done, outcome);
    }
  };
  return Object.assign(hook, { authenticator, ready: () => authenticator.ready() });
}

/**
 * Requires a valid bearer access token (and, with `apiKeys`, accepts an `X-API-Key` instead).
 * Build it once and reuse it on every route: it holds the JWKS and the verified-token cache.
 * No credentials: 401 `unauthenticated`; a bad one: 401 `invalid_token` / `invalid_api_key`;
 * the JWKS unreachable: 503 `service_unavailable`.
 *
 * @example app.get("/me", { onRequest: authenticate({ issuer, audience }) }, handler);
 */
export function authenticate(options: AuthenticateOptions): AuthenticateHook {
  return hookFor(createAuthenticator(options));
}

/**
 * Requires an `X-API-Key`, validated by Portcullis (introspection, cached briefly).
 *
 * @example app.post("/hooks", { onRequest: [apiKey({ portcullisUrl, apiKey: key }), requireScopes("hooks:write")] }, handler);
 */
export function apiKey(options: ApiKeyOptions): AuthenticateHook {
  return hookFor(createApiKeyAuthenticator(options));
}

/**
 * Lets the request through when the caller holds at least one of `roles`; otherwise 403
 * `insufficient_role`. List it after `authenticate` in `onRequest`.
 */
export function authorize(...roles: string[]): PortcullisHook {
  const guard = createRoleGuard(roles);
  return (request, reply, done) => {
    const problem = guard(request.auth);
    if (problem === null) done();
    else sendProblem(reply, problem);
  };
}

/**
 * Lets the request through when the credential carries every one of `scopes`; otherwise 403
 * `insufficient_scope`. Scopes fail closed: a token without a `scope` claim carries none (it
 * passes role guards only); a session's token carries the scopes its roles grant at Portcullis.
 */
export function requireScopes(...scopes: string[]): PortcullisHook {
  const guard = createScopeGuard(scopes);
  return (request, reply, done) => {
    const problem = guard(request.auth);
    if (problem === null) done();
    else sendProblem(reply, problem);
  };
}
