/**
 * Scopes restrict what a credential may do (RFC 6749 §3.3; RFC 6750 §3.1 `insufficient_scope`).
 * A session (access token without a `scope` claim, or a cookie) acts with the user's full
 * authority; an API key carries exactly the scopes it was created with, so a key with none can
 * only say whose it is (`GET /v1/me`). Scope names are free-form tokens so that other services
 * may define their own; these are the ones Portcullis itself checks.
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
   * an administrator may put it on a key (see `ROLE_NEEDED_FOR_SCOPE`).
   */
  introspect: "introspect",
} as const;

/**
 * Scopes only a holder of the given role may put on an API key. Other scopes are free-form and
 * harmless to grant: the routes that check them also check the owner's role on every use.
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

/** `"a b"` → `["a", "b"]`; an absent claim means an unrestricted session. */
export function parseScope(scope: string | undefined): string[] | "unrestricted" {
  if (scope === undefined) return "unrestricted";
  return scope.split(" ").filter((part) => part !== "");
}

/**
 * The scopes of `required` that the credential lacks; empty when it may go on.
 * @example missingScopes("events:read", ["admin:read"]) // ["admin:read"]
 */
export function missingScopes(scope: string | undefined, required: readonly string[]): string[] {
  const granted = parseScope(scope);
  if (granted === "unrestricted") return [];
  return required.filter((name) => !granted.includes(name));
}
