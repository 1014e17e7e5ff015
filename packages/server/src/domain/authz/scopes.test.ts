/** Sessions (no `scope`) are unrestricted; any other credential needs every scope asked for. */
import { describe, expect, it } from "vitest";
import { hasAnyRole, knownRoles } from "./roles.js";
import { missingScopes, parseScope, scopesBeyondRoles } from "./scopes.js";

describe("missingScopes", () => {
  it("lets a session without a scope claim through", () => {
    expect(parseScope(undefined)).toBe("unrestricted");
    expect(missingScopes(undefined, ["admin:write"])).toEqual([]);
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
