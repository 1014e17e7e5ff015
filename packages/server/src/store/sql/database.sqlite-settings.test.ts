/**
 * The SQLite connection the server opens: WAL, foreign keys, checkpoints every 10,000 pages, and
 * transactions that take the write lock as they begin.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { openSqlDatabase, type SqlDatabase, WAL_CHECKPOINT_PAGES } from "./database.js";
import SQLite from "./sqlite-driver.js";

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

  it("lets a transaction that reads before it writes commit while another process tries to write", async () => {
    dir = mkdtempSync(join(tmpdir(), "portcullis-sqlite-settings-"));
    const path = join(dir, "writers.db");
    database = await openSqlDatabase(`sqlite:${path}`);
    await sql`create table counter (value integer not null)`.execute(database.db);
    await sql`insert into counter (value) values (0)`.execute(database.db);
    // A second connection, standing in for another process; it gives up at once rather than wait for the lock.
    const other = new SQLite(path);
    other.pragma("busy_timeout = 0");
    let otherWrote = true;
    try {
      await database.db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ value: number }>`select value from counter`.execute(trx);
        try {
          other.prepare("update counter set value = value + 100").run();
        } catch {
          otherWrote = false;
        }
        await sql`update counter set value = ${(rows[0]?.value ?? 0) + 1}`.execute(trx);
      });
    } finally {
      other.close();
    }
    // With a deferred begin the other write lands, and this transaction's update then fails.
    expect(otherWrote).toBe(false);
    const { rows } = await sql<{ value: number }>`select value from counter`.execute(database.db);
    expect(rows[0]?.value).toBe(1);
  });
});
