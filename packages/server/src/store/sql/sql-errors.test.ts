/** Which database errors are answered 503 (the database is busy or away) rather than 500. */
import { describe, expect, it } from "vitest";
import { isDatabaseUnavailable } from "./sql-errors.js";

const withCode = (code: string) => Object.assign(new Error("database is locked"), { code });

describe("isDatabaseUnavailable", () => {
  it("counts SQLite's busy errors, extended codes included, as the database being unavailable", () => {
    for (const code of ["SQLITE_BUSY", "SQLITE_BUSY_SNAPSHOT", "SQLITE_BUSY_RECOVERY", "SQLITE_BUSY_TIMEOUT"])
      expect(isDatabaseUnavailable(withCode(code)), code).toBe(true);
  });

  it("does not count a constraint or a syntax error", () => {
    for (const code of ["SQLITE_CONSTRAINT_UNIQUE", "SQLITE_ERROR", "23505"])
      expect(isDatabaseUnavailable(withCode(code)), code).toBe(false);
  });
});
