/**
 * `@portcullis/middleware/express`: Express (4 or 5) middleware that verifies Portcullis access
 * tokens locally (RFC 6750 bearer tokens, RFC 9068 JWTs, see `verifier.ts`), accepts API keys
 * validated by Portcullis (RFC 7662 introspection), and guards routes by role and scope. The
 * caller is `req.auth`; a refusal is an RFC 9457 problem with Portcullis's `code`s and an
 * RFC 6750 `WWW-Authenticate` challenge.
 *
 * @example
 * import express from "express";
 * import { authenticate, authorize, requireScopes } from "@portcullis/middleware/express";
 *
 * const app = express();
 * const signedIn = authenticate({ issuer: "https://auth.example.com", audience: "https://auth.example.com" });
 * app.get("/me", signedIn, (req, res) => res.json({ userId: req.auth?.userId }));
 * app.delete("/things/:id", signedIn, authorize("admin"), handler);
 * app.get("/reports", signedIn, requireScopes("reports:read"), handler);
 */
import type { NextFunction, Request, RequestHandler, Response } from "express";
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

declare global {
  namespace Express {
    interface Request {
      /** The caller, set by `authenticate` or `apiKey`. */
      auth?: PortcullisAuth;
    }
  }
}

/** An Express middleware that also exposes what it is built on. */
export type AuthenticateHandler = RequestHandler & {
  readonly authenticator: Authenticator;
  /** Fetches the JWKS (and waits for the revocation listener); call it at start-up. */
  ready(): Promise<void>;
};

function sendProblem(res: Response, problem: Problem): void {
  res.status(problem.status).set(problem.headers).type(PROBLEM_CONTENT_TYPE).send(problem.body);
}

function handlerFor(authenticator: Authenticator): AuthenticateHandler {
  const finish = (req: Request, res: Response, next: NextFunction, outcome: AuthOutcome) => {
    if (outcome.ok) {
      req.auth = outcome.auth;
      next();
    } else {
      sendProblem(res, outcome.problem);
    }
  };
  const handler: RequestHandler = (req, res, next) => {
    const outcome = authenticator.authenticate(req.headers.authorization, req.headers["x-api-key"]);
    if (outcome instanceof Promise) {
      outcome.then((settled) => finish(req, res, next, settled), next);
    } else {
      finish(req, res, next, outcome);
    }
  };
  return Object.assign(handler, { authenticator, ready: () => authenticator.ready() });
}

/**
 * Requires a valid bearer access token (and, with `apiKeys`, accepts an `X-API-Key` instead).
 * Build it once and reuse it on every route: it holds the JWKS and the verified-token cache.
 * No credentials: 401 `unauthenticated`; a bad one: 401 `invalid_token` / `invalid_api_key`;
 * the JWKS unreachable: 503 `service_unavailable`.
 *
 * @example const signedIn = authenticate({ issuer, audience, revocations });
 */
export function authenticate(options: AuthenticateOptions): AuthenticateHandler {
  return handlerFor(createAuthenticator(options));
}

/**
 * Requires an `X-API-Key`, validated by Portcullis (introspection, cached briefly).
 *
 * @example app.post("/hooks", apiKey({ portcullisUrl, apiKey: process.env.INTROSPECT_KEY! }), requireScopes("hooks:write"), handler);
 */
export function apiKey(options: ApiKeyOptions): AuthenticateHandler {
  return handlerFor(createApiKeyAuthenticator(options));
}

/**
 * Lets the request through when the caller (set by `authenticate` or `apiKey` before it) holds
 * at least one of `roles`; otherwise 403 `insufficient_role`.
 *
 * @example app.get("/admin", signedIn, authorize("admin"), handler);
 */
export function authorize(...roles: string[]): RequestHandler {
  const guard = createRoleGuard(roles);
  return (req, res, next) => {
    const problem = guard(req.auth);
    if (problem === null) next();
    else sendProblem(res, problem);
  };
}

/**
 * Lets the request through when the credential carries every one of `scopes`; otherwise 403
 * `insufficient_scope`. Scopes fail closed: a token without a `scope` claim carries none (it
 * passes role guards only); a session's token carries the scopes its roles grant at Portcullis.
 *
 * @example app.get("/reports", signedIn, requireScopes("reports:read"), handler);
 */
export function requireScopes(...scopes: string[]): RequestHandler {
  const guard = createScopeGuard(scopes);
  return (req, res, next) => {
    const problem = guard(req.auth);
    if (problem === null) next();
    else sendProblem(res, problem);
  };
}
