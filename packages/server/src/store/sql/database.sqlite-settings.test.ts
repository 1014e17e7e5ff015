/** The SQLite connection the server opens: WAL, foreign keys, and checkpoints every 10,000 pages. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { openSqlDatabase, type SqlDatabase, WAL_CHECKPOINT_PAGES } from "./database.js";

let dir: string | undefined;
let database: SqlDatabase | undefined;

afterEach(async () => {
  await database?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

async function pragma(name: string): Promise<unknown> {
  if (database === undefined) throw new Error("no database");
  const { rows } = await sql.raw(`pragma ${name}`).execute(database.db);
  return Object.values(rows[0] as Record<string, unknown>)[0];
}

describe("the SQLite connection", () => {
  it("writes ahead, checks foreign keys, and checkpoints every 10,000 pages with the log cut back to 64 MB", async () => {
    dir = mkdtempSync(join(tmpdir(), "portcullis-sqlite-settings-"));
    database = await openSqlDatabase(`sqlite:${join(dir, "settings.db")}`);
    expect(await pragma("journal_mode")).toBe("wal");
    expect(await pragma("foreign_keys")).toBe(1);
    expect(await pragma("synchronous")).toBe(1); // NORMAL
    expect(WAL_CHECKPOINT_PAGES).toBe(10_000);
    expect(await pragma("wal_autocheckpoint")).toBe(WAL_CHECKPOINT_PAGES);
    expect(await pragma("journal_size_limit")).toBe(64 * 1024 * 1024);
  });
});
