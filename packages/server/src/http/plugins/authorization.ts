/**
 * Route guards for roles and scopes, as `onRequest` hooks listed after `app.authenticate`:
 *
 *   onRequest: [app.authenticate, authorize("admin"), requireScopes(SCOPES.adminRead)]
 *
 * Without credentials the request never gets here (401 `unauthenticated` from `authenticate`);
 * a guard that runs without it still answers 401. A caller without any of the roles gets
 * `403 insufficient_role`; a credential without every scope gets `403 insufficient_scope` with an
 * RFC 6750 §3.1 challenge naming the scopes needed. Roles come from the access token (or, for an
 * API key, the owner's current roles); a role change cuts the old tokens off (see the admin service).
 * Scopes fail closed (API.md "Scopes fail closed"): a credential without a `scope` claim carries
 * none and passes role guards only.
 */
import type { FastifyRequest } from "fastify";
import { hasAnyRole } from "../../domain/authz/roles.js";
import { missingScopes } from "../../domain/authz/scopes.js";
import { ProblemError } from "../problem.js";
import { requireAuth } from "./authentication.js";

export type RouteGuard = (request: FastifyRequest) => Promise<void>;

/**
 * Lets the request through when the caller holds at least one of `roles`.
 * @example app.get("/v1/admin/users", { onRequest: [app.authenticate, authorize("admin")] }, handler);
 */
export function authorize(...roles: string[]): RouteGuard {
  if (roles.length === 0) throw new Error("authorize: name at least one role");
  return async (request) => {
    const auth = requireAuth(request);
    if (!hasAnyRole(auth.roles, roles)) {
      throw new ProblemError("insufficient_role", {
        detail: `This needs the role ${roles.map((role) => `"${role}"`).join(" or ")}.`,
      });
    }
  };
}

/**
 * Lets the request through when the credential carries every one of `scopes`. Sessions carry the
 * scopes their user's roles grant (`PORTCULLIS_ROLE_SCOPES`), API keys the scopes they were made
 * with; a credential without a `scope` claim carries none and is refused.
 * @example app.delete("/v1/admin/users/:id", { onRequest: [app.authenticate, authorize("admin"), requireScopes("admin:write")] }, handler);
 */
export function requireScopes(...scopes: string[]): RouteGuard {
  if (scopes.length === 0) throw new Error("requireScopes: name at least one scope");
  return async (request) => {
    const auth = requireAuth(request);
    const missing = missingScopes(auth.scope, scopes);
    if (missing.length > 0) {
      const scheme = auth.credential === "api_key" ? "ApiKey" : "Bearer";
      throw new ProblemError("insufficient_scope", {
        detail: `This needs the scope ${missing.map((scope) => `"${scope}"`).join(" and ")}.`,
        headers: {
          "www-authenticate": `${scheme} realm="portcullis", error="insufficient_scope", scope="${scopes.join(" ")}"`,
        },
      });
    }
  };
}
