/**
 * Roles: `user` and `admin` are built in; a deployment may define more (`PORTCULLIS_ROLES`).
 * Roles are granted by operators only (the CLI, the admin API), never chosen by a registrant
 * (mass assignment, security.md §2.8), and travel in the access token's `roles` claim.
 */

export const BUILT_IN_ROLES: readonly string[] = ["user", "admin"];

/** The role that opens the admin API. */
export const ADMIN_ROLE = "admin";

/** Lower-case letters, digits, `_ : -`; at most 64 characters. The CLI accepts the same. */
export const ROLE_PATTERN = /^[a-z][a-z0-9_:-]{0,63}$/;

/**
 * Every role the deployment knows: the built-in ones, then the configured ones, without repeats.
 * @example knownRoles(["editor"]) // ["user", "admin", "editor"]
 */
export function knownRoles(configured: readonly string[]): string[] {
  return [...new Set([...BUILT_IN_ROLES, ...configured])];
}

/** True when the caller holds at least one of `required`. */
export function hasAnyRole(held: readonly string[], required: readonly string[]): boolean {
  return required.some((role) => held.includes(role));
}
