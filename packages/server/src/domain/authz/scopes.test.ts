/**
 * Scopes fail closed: a credential passes a scope guard only when it carries every scope asked
 * for, and one without a `scope` claim carries none; a session carries what its roles grant.
 */
import { describe, expect, it } from "vitest";
import { hasAnyRole, knownRoles } from "./roles.js";
import { missingScopes, parseScope, scopesBeyondRoles, scopesOfRoles, sessionScope } from "./scopes.js";

describe("missingScopes", () => {
  it("refuses a credential without a scope claim: it carries no scopes", () => {
    expect(parseScope(undefined)).toEqual([]);
    expect(missingScopes(undefined, ["admin:write"])).toEqual(["admin:write"]);
    expect(missingScopes(undefined, ["events:read", "admin:read"])).toEqual(["events:read", "admin:read"]);
  });

  it("names the scopes a credential lacks, and an empty scope lacks them all", () => {
    expect(missingScopes("events:read admin:read", ["admin:read"])).toEqual([]);
    expect(missingScopes("events:read", ["admin:read", "events:read"])).toEqual(["admin:read"]);
    expect(missingScopes("", ["events:read"])).toEqual(["events:read"]);
    // Prefixes and look-alikes are not the scope.
    expect(missingScopes("admin", ["admin:read"])).toEqual(["admin:read"]);
    expect(missingScopes("admin:read:x", ["admin:read"])).toEqual(["admin:read"]);
  });
});

describe("scopesOfRoles", () => {
  const roleScopes = {
    user: ["events:read"],
    admin: ["admin:write", "admin:read", "events:read"],
    support: [],
  };

  it("grants the union of the roles' scopes, sorted, without repeats", () => {
    expect(scopesOfRoles(roleScopes, ["user", "admin"])).toEqual([
      "admin:read",
      "admin:write",
      "events:read",
    ]);
    expect(sessionScope(roleScopes, ["admin", "user"])).toBe("admin:read admin:write events:read");
    expect(sessionScope(roleScopes, ["user"])).toBe("events:read");
  });

  it("grants nothing for roles without an entry, with an empty one, or inherited from Object", () => {
    expect(scopesOfRoles(roleScopes, ["editor", "support"])).toEqual([]);
    expect(sessionScope(roleScopes, [])).toBe("");
    expect(scopesOfRoles(roleScopes, ["constructor", "toString", "__proto__"])).toEqual([]);
  });
});

describe("scopesBeyondRoles", () => {
  it("keeps introspect for administrators and leaves free-form scopes to anyone", () => {
    expect(scopesBeyondRoles(["introspect", "reports:read"], ["user"])).toEqual(["introspect"]);
    expect(scopesBeyondRoles(["introspect", "reports:read"], ["user", "admin"])).toEqual([]);
    expect(scopesBeyondRoles(["events:read", "toString", "__proto__"], ["user"])).toEqual([]);
  });
});

describe("roles", () => {
  it("knows user and admin first, then the configured ones, without repeats", () => {
    expect(knownRoles([])).toEqual(["user", "admin"]);
    expect(knownRoles(["editor", "admin", "billing"])).toEqual(["user", "admin", "editor", "billing"]);
  });

  it("asks for any one of the roles named", () => {
    expect(hasAnyRole(["user"], ["admin"])).toBe(false);
    expect(hasAnyRole(["user", "editor"], ["admin", "editor"])).toBe(true);
    expect(hasAnyRole([], ["user"])).toBe(false);
  });
});
