/**
 * A full disk is an unavailable database, not a server error: the request is answered 503 with
 * Retry-After and succeeds once there is room again. On a full disk SQLite rolls the transaction
 * back by itself, so the error that says so must reach the error handler rather than the failure
 * of the ROLLBACK sent after it (test/scale-out/faults.sqlite-disk-full.test.ts fills a real disk).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { openSqlDatabase, type SqlDatabase } from "./database.js";
import { isDatabaseUnavailable } from "./sql-errors.js";

let dir: string | undefined;
let database: SqlDatabase | undefined;

afterEach(async () => {
  await database?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe("a full disk", () => {
  it("reaches the caller as SQLite's own error when SQLite already ended the transaction", async () => {
    dir = mkdtempSync(join(tmpdir(), "portcullis-disk-full-"));
    database = await openSqlDatabase(`sqlite:${join(dir, "full.db")}`);
    const { db } = database;
    const full = Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });

    await sql`create table notes (note text)`.execute(db);

    const attempt = db.transaction().execute(async (trx) => {
      await sql`insert into notes (note) values ('lost')`.execute(trx);
      // What SQLite does on SQLITE_FULL at commit: the transaction is gone before Kysely rolls back.
      await sql`rollback`.execute(trx);
      throw full;
    });

    await expect(attempt).rejects.toBe(full);
    // Nothing of the transaction was kept, and the connection takes the next one.
    await db.transaction().execute((trx) => sql`insert into notes (note) values ('kept')`.execute(trx));
    const { rows } = await sql<{ note: string }>`select note from notes`.execute(db);
    expect(rows).toEqual([{ note: "kept" }]);
  });

  it("counts as the database being unavailable, on SQLite and on PostgreSQL", () => {
    for (const code of ["SQLITE_FULL", "SQLITE_IOERR", "SQLITE_IOERR_WRITE", "53100"])
      expect(isDatabaseUnavailable(Object.assign(new Error(code), { code }))).toBe(true);
    for (const code of ["SQLITE_CONSTRAINT_UNIQUE", "SQLITE_ERROR", "23505", "42P01"])
      expect(isDatabaseUnavailable(Object.assign(new Error(code), { code }))).toBe(false);
  });
});
