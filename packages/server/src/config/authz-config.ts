/**
 * The roles a deployment knows (`PORTCULLIS_ROLES`) and what each grants a session
 * (`PORTCULLIS_ROLE_SCOPES`, API.md "Scopes fail closed"). The mapping is checked at start with
 * the other settings, every problem at once: each entry `role=scope scope`, each role known and
 * named once, each scope a scope token, and a scope reserved for a role (`introspect`: `admin`)
 * granted to that role alone.
 */
import { knownRoles, ROLE_PATTERN } from "../domain/authz/roles.js";
import { ROLE_NEEDED_FOR_SCOPE, type RoleScopes, SCOPE_PATTERN } from "../domain/authz/scopes.js";
import type { RawConfig } from "./config-schema.js";

/**
 * Every role that may be granted: `user`, `admin`, then those of `PORTCULLIS_ROLES`.
 * @example configuredRoles({ PORTCULLIS_ROLES: "editor, billing" }) // ["user", "admin", "editor", "billing"]
 */
export function configuredRoles(raw: Pick<RawConfig, "PORTCULLIS_ROLES">): string[] {
  return knownRoles(
    (raw.PORTCULLIS_ROLES ?? "")
      .split(",")
      .map((role) => role.trim())
      .filter((role) => role !== ""),
  );
}

/**
 * Reads `PORTCULLIS_ROLE_SCOPES` (`admin=admin:read admin:write;support=admin:read`). `roles` are
 * the known roles, or null when `PORTCULLIS_ROLES` is itself invalid (then no role is called
 * unknown). The mapping is frozen, and holds only the well-formed entries when there are problems.
 * @example readRoleScopes("user=events:read", ["user", "admin"]).roleScopes // { user: ["events:read"] }
 */
export function readRoleScopes(
  value: string,
  roles: readonly string[] | null,
): { roleScopes: RoleScopes; problems: string[] } {
  const problems: string[] = [];
  const problem = (text: string) => problems.push(`PORTCULLIS_ROLE_SCOPES: ${text}`);
  const entries: Array<[string, readonly string[]]> = [];
  const seen = new Set<string>();

  for (const entry of value.split(";").map((part) => part.trim())) {
    const equals = entry.indexOf("=");
    if (equals < 0) {
      problem(
        entry === ""
          ? "an empty entry (entries are `role=scope scope`, separated by one `;`)"
          : `${JSON.stringify(entry)} is not \`role=scope scope\``,
      );
      continue;
    }
    const role = entry.slice(0, equals).trim();
    const scopes = [
      ...new Set(
        entry
          .slice(equals + 1)
          .split(" ")
          .filter((scope) => scope !== ""),
      ),
    ];
    let wellFormed = true;
    if (!ROLE_PATTERN.test(role)) {
      problem(`${JSON.stringify(role)} is not a role name (lower-case letters, digits, \`_ : -\`)`);
      wellFormed = false;
    } else if (roles !== null && !roles.includes(role)) {
      problem(
        `unknown role ${JSON.stringify(role)} (known: ${roles.join(", ")}; add roles with PORTCULLIS_ROLES)`,
      );
      wellFormed = false;
    } else if (seen.has(role)) {
      problem(`role ${JSON.stringify(role)} is named more than once`);
      wellFormed = false;
    }
    seen.add(role);
    for (const scope of scopes) {
      if (!SCOPE_PATTERN.test(scope)) {
        problem(
          `${JSON.stringify(scope)} is not a scope (letters, digits, \`_ : . - /\`, at most 64 characters)`,
        );
        wellFormed = false;
        continue;
      }
      const reservedFor = Object.hasOwn(ROLE_NEEDED_FOR_SCOPE, scope)
        ? ROLE_NEEDED_FOR_SCOPE[scope]
        : undefined;
      if (reservedFor !== undefined && reservedFor !== role) {
        problem(`${JSON.stringify(scope)} may be granted to the role ${JSON.stringify(reservedFor)} only`);
        wellFormed = false;
      }
    }
    if (wellFormed) entries.push([role, Object.freeze(scopes)]);
  }
  return { roleScopes: Object.freeze(Object.fromEntries(entries)), problems };
}
