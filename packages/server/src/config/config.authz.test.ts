/**
 * PORTCULLIS_ROLES adds roles beside the built-in `user` and `admin` (role names as the CLI
 * accepts them); PORTCULLIS_ROLE_SCOPES maps known roles to scope tokens, by default what keeps
 * Portcullis's own scope-guarded routes open to sessions; PORTCULLIS_AUDIT_RETENTION is a duration
 * or `off`. Anything else is refused at start, naming the variable, every problem at once.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.js";

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("loadConfig › roles and audit retention", () => {
  it("knows user and admin, then the configured roles in order, once each", () => {
    expect(loadConfig({}).roles).toEqual(["user", "admin"]);
    expect(loadConfig({ PORTCULLIS_ROLES: "editor, billing,admin , editor" }).roles).toEqual([
      "user",
      "admin",
      "editor",
      "billing",
    ]);
    expect(Object.isFrozen(loadConfig({ PORTCULLIS_ROLES: "editor" }).roles)).toBe(true);
  });

  it.each(["Editor", "1st", "editor,,billing", "a b", "editor;drop", `r${"x".repeat(64)}`])(
    "refuses PORTCULLIS_ROLES=%s",
    (value) => {
      expect(problemsOf({ PORTCULLIS_ROLES: value }).join("\n")).toContain("PORTCULLIS_ROLES");
    },
  );

  it("grants events:read to users and the admin API's scopes to administrators by default", () => {
    const { roleScopes } = loadConfig({});
    expect(roleScopes).toEqual({ user: ["events:read"], admin: ["admin:read", "admin:write"] });
    expect(Object.isFrozen(roleScopes) && Object.isFrozen(roleScopes.user)).toBe(true);
  });

  it("reads PORTCULLIS_ROLE_SCOPES for built-in and configured roles, and an entry may grant nothing", () => {
    const config = loadConfig({
      PORTCULLIS_ROLES: "support,analyst",
      PORTCULLIS_ROLE_SCOPES:
        " admin=admin:read  admin:write ; support=admin:read;analyst=reports:read reports/v2.export; user= ",
    });
    expect(config.roleScopes).toEqual({
      admin: ["admin:read", "admin:write"],
      support: ["admin:read"],
      analyst: ["reports:read", "reports/v2.export"],
      user: [],
    });
    expect(loadConfig({ PORTCULLIS_ROLE_SCOPES: "admin=introspect admin:read" }).roleScopes).toEqual({
      admin: ["introspect", "admin:read"],
    });
  });

  it("refuses unknown roles, bad scope tokens, repeats and malformed entries, naming each at once", () => {
    const problems = problemsOf({
      PORTCULLIS_ROLES: "support",
      PORTCULLIS_ROLE_SCOPES:
        "user=events:read;editor=posts:write;support=admin,read;user=x;Admin=a;justtext;;support=-bad;user=introspect",
    });
    expect(problems.every((problem) => problem.startsWith("PORTCULLIS_ROLE_SCOPES: "))).toBe(true);
    const text = problems.join("\n");
    expect(text).toContain('unknown role "editor"');
    expect(text).toContain('"admin,read" is not a scope');
    expect(text).toContain('role "user" is named more than once');
    expect(text).toContain('"Admin" is not a role name');
    expect(text).toContain('"justtext" is not `role=scope scope`');
    expect(text).toContain("an empty entry");
    expect(text).toContain('"-bad" is not a scope');
    expect(text).toContain('"introspect" may be granted to the role "admin" only');
    // "support" and "user" are each named again (the latter twice): three more problems.
    expect(problems).toHaveLength(10);
  });

  it("refuses a role PORTCULLIS_ROLES does not define, and reports both variables' problems together", () => {
    expect(problemsOf({ PORTCULLIS_ROLE_SCOPES: "support=admin:read" })).toEqual([
      expect.stringMatching(/^PORTCULLIS_ROLE_SCOPES: unknown role "support" \(known: user, admin;/),
    ]);
    const both = problemsOf({
      PORTCULLIS_ROLES: "Support",
      PORTCULLIS_ROLE_SCOPES: "user=bad scope!",
      PORTCULLIS_AUDIT_RETENTION: "forever",
    });
    expect(both.map((problem) => problem.split(":")[0])).toEqual([
      "PORTCULLIS_ROLES",
      "PORTCULLIS_AUDIT_RETENTION",
      "PORTCULLIS_ROLE_SCOPES",
    ]);
  });

  it("keeps audit events a year by default, for the given duration, or forever with off", () => {
    expect(loadConfig({}).auditRetentionSeconds).toBe(365 * 86_400);
    expect(loadConfig({ PORTCULLIS_AUDIT_RETENTION: "90d" }).auditRetentionSeconds).toBe(90 * 86_400);
    expect(loadConfig({ PORTCULLIS_AUDIT_RETENTION: "off" }).auditRetentionSeconds).toBeNull();
    expect(problemsOf({ PORTCULLIS_AUDIT_RETENTION: "forever" }).join("\n")).toContain(
      "PORTCULLIS_AUDIT_RETENTION",
    );
  });
});
