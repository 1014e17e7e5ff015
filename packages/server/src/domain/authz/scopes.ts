/**
 * Scopes restrict what a credential may do (RFC 6749 §3.3; RFC 6750 §3.1 `insufficient_scope`),
 * and they fail closed (API.md "Scopes fail closed"): a scope guard lets a credential through only
 * when it carries every scope named, and a credential without a `scope` claim carries none. A
 * session carries the scopes its user's roles grant (`PORTCULLIS_ROLE_SCOPES`, see
 * {@link scopesOfRoles}); an API key carries exactly the scopes it was created with, so a key with
 * none can only say whose it is (`GET /v1/me`). Scope names are free-form tokens so that other
 * services may define their own; these are the ones Portcullis itself checks.
 */

export const SCOPES = {
  /** `GET /v1/me/events`. */
  eventsRead: "events:read",
  /** Reading the admin API: users and audit events (with the `admin` role). */
  adminRead: "admin:read",
  /** Changing users through the admin API (with the `admin` role). */
  adminWrite: "admin:write",
  /**
   * Resource servers asking about credentials: `POST /v1/auth/introspect` (RFC 7662) and
   * `GET /v1/auth/revocations` (with the `admin` role). It reveals whose any token is, so only
   * an administrator may put it on a key (see `ROLE_NEEDED_FOR_SCOPE`). Those endpoints take
   * API keys only (service credentials), so no role grants it to sessions by default.
   */
  introspect: "introspect",
} as const;

/**
 * Scopes only a holder of the given role may put on an API key, and that `PORTCULLIS_ROLE_SCOPES`
 * may grant to that role alone. Other scopes are free-form and harmless to grant: the routes that
 * check them also check the owner's role on every use.
 */
export const ROLE_NEEDED_FOR_SCOPE: Readonly<Record<string, string>> = Object.freeze({
  [SCOPES.introspect]: "admin",
});

/**
 * The scopes of `requested` that a holder of `roles` may not grant.
 * @example scopesBeyondRoles(["introspect", "reports:read"], ["user"]) // ["introspect"]
 */
export function scopesBeyondRoles(requested: readonly string[], roles: readonly string[]): string[] {
  return requested.filter((scope) => {
    const role = Object.hasOwn(ROLE_NEEDED_FOR_SCOPE, scope) ? ROLE_NEEDED_FOR_SCOPE[scope] : undefined;
    return role !== undefined && !roles.includes(role);
  });
}

/** RFC 6749 §3.3 scope-token characters, narrowed to a readable, URL- and header-safe set. */
export const SCOPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_:.\-/]{0,63}$/;

/**
 * What each role grants a session (`PORTCULLIS_ROLE_SCOPES`): role → scopes. A role without an
 * entry grants none. Look roles up with `Object.hasOwn` (a role may be called `constructor`).
 */
export type RoleScopes = Readonly<Record<string, readonly string[]>>;

/**
 * The scopes a session of a holder of `roles` carries: the union of what each role grants, sorted
 * and without repeats, so that equal role sets give equal `scope` claims.
 * @example scopesOfRoles({ user: ["events:read"], admin: ["admin:read"] }, ["user", "admin"]) // ["admin:read", "events:read"]
 */
export function scopesOfRoles(roleScopes: RoleScopes, roles: readonly string[]): string[] {
  const granted = new Set<string>();
  for (const role of roles) {
    if (!Object.hasOwn(roleScopes, role)) continue;
    for (const scope of roleScopes[role] ?? []) granted.add(scope);
  }
  return [...granted].sort();
}

/**
 * The `scope` claim of a session (RFC 8693 §4.2: space-separated). Always a string, empty when
 * the roles grant nothing: a verifier that still read a missing claim as "unrestricted" (an
 * older `@portcullis/middleware`) then fails closed too.
 * @example sessionScope({ user: ["events:read"] }, ["user", "editor"]) // "events:read"
 */
export function sessionScope(roleScopes: RoleScopes, roles: readonly string[]): string {
  return scopesOfRoles(roleScopes, roles).join(" ");
}

/** `"a b"` → `["a", "b"]`; an absent claim carries no scopes. */
export function parseScope(scope: string | undefined): string[] {
  if (scope === undefined) return [];
  return scope.split(" ").filter((part) => part !== "");
}

/**
 * The scopes of `required` that the credential lacks; empty when it may go on. A credential
 * without a `scope` claim lacks them all.
 * @example missingScopes("events:read", ["admin:read"]) // ["admin:read"]
 */
export function missingScopes(scope: string | undefined, required: readonly string[]): string[] {
  const granted = parseScope(scope);
  return required.filter((name) => !granted.includes(name));
}
