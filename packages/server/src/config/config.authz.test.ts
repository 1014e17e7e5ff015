/**
 * PORTCULLIS_ROLES adds roles beside the built-in `user` and `admin` (role names as the CLI
 * accepts them); PORTCULLIS_AUDIT_RETENTION is a duration or `off`. Anything else is refused at
 * start, naming the variable.
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

  it("keeps audit events a year by default, for the given duration, or forever with off", () => {
    expect(loadConfig({}).auditRetentionSeconds).toBe(365 * 86_400);
    expect(loadConfig({ PORTCULLIS_AUDIT_RETENTION: "90d" }).auditRetentionSeconds).toBe(90 * 86_400);
    expect(loadConfig({ PORTCULLIS_AUDIT_RETENTION: "off" }).auditRetentionSeconds).toBeNull();
    expect(problemsOf({ PORTCULLIS_AUDIT_RETENTION: "forever" }).join("\n")).toContain(
      "PORTCULLIS_AUDIT_RETENTION",
    );
  });
});
