/**
 * A restore replaces a database only with a verified Portcullis backup this version can run:
 * a file that is no SQLite database, one without Portcullis's migrations, or one migrated by a
 * newer version is refused and the target stays as it was, with nothing left behind. A backup is
 * a single owner-only file (no -wal beside it) that opens read-only.
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSqlDatabase } from "./database.js";
import { migrations } from "./migrations/index.js";
import { backupSqlite, restoreSqlite } from "./sqlite-backup.js";
import SQLite from "./sqlite-driver.js";

let dir: string;
let live: string;

/** A migrated database with one row a restore should carry. */
async function createDatabase(path: string, marker: string): Promise<void> {
  const database = await openSqlDatabase(`sqlite:${path}`);
  await sql`create table if not exists backup_marker (value text)`.execute(database.db);
  await sql`insert into backup_marker (value) values (${marker})`.execute(database.db);
  await database.close();
}

function markers(path: string): string[] {
  const database = new SQLite(path, { readonly: true, fileMustExist: true });
  try {
    return database.prepare("select value from backup_marker").pluck().all() as string[];
  } finally {
    database.close();
  }
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "portcullis-sqlite-backup-"));
  live = join(dir, "live.db");
  await createDatabase(live, "live");
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const leftovers = () =>
  readdirSync(dir).filter((name) => name.endsWith(".partial") || name.includes(".pre-restore-"));

describe("backupSqlite", () => {
  it("writes one owner-only file that opens read-only and records every migration", async () => {
    const outcome = await backupSqlite(live, join(dir, "copy.db"), { force: false });

    expect(outcome).toMatchObject({ ok: true, file: join(dir, "copy.db") });
    if (!outcome.ok) return;
    expect(outcome.migrations).toEqual(Object.keys(migrations).sort());
    expect(statSync(outcome.file).mode & 0o077).toBe(0);
    expect(existsSync(`${outcome.file}-wal`)).toBe(false);
    expect(markers(outcome.file)).toEqual(["live"]);
    expect(leftovers()).toEqual([]);
  });

  it("refuses a missing source and an existing destination without force", async () => {
    expect(await backupSqlite(join(dir, "none.db"), join(dir, "x.db"), { force: false })).toMatchObject({
      ok: false,
      code: "source_missing",
    });
    writeFileSync(join(dir, "taken.db"), "");
    expect(await backupSqlite(live, join(dir, "taken.db"), { force: false })).toMatchObject({
      ok: false,
      code: "target_exists",
    });
    expect(await backupSqlite(live, join(dir, "taken.db"), { force: true })).toMatchObject({ ok: true });
    expect(markers(join(dir, "taken.db"))).toEqual(["live"]);
  });
});

describe("restoreSqlite", () => {
  it("replaces the target with the backup, keeping the replaced file beside it", async () => {
    const other = join(dir, "other.db");
    await createDatabase(other, "from-backup");
    const backup = join(dir, "backup.db");
    expect((await backupSqlite(other, backup, { force: false })).ok).toBe(true);

    const outcome = await restoreSqlite(backup, live, { force: true });

    expect(outcome).toMatchObject({ ok: true, file: live, pending: [] });
    if (!outcome.ok) return;
    expect(markers(live)).toEqual(["from-backup"]);
    expect(outcome.previous).not.toBeNull();
    expect(markers(outcome.previous!)).toEqual(["live"]);
  });

  it("refuses to replace an existing database without force", async () => {
    const backup = join(dir, "backup.db");
    await backupSqlite(live, backup, { force: false });

    expect(await restoreSqlite(backup, live, { force: false })).toMatchObject({
      ok: false,
      code: "target_exists",
    });
  });

  it("refuses a database that another connection holds open", async () => {
    const backup = join(dir, "backup.db");
    await backupSqlite(live, backup, { force: false });
    const holder = await openSqlDatabase(`sqlite:${live}`);
    try {
      expect(await restoreSqlite(backup, live, { force: true })).toMatchObject({
        ok: false,
        code: "target_in_use",
      });
    } finally {
      await holder.close();
    }
    expect(markers(live)).toEqual(["live"]);
  });

  it("refuses a file that is no SQLite database, one without migrations, and one from a newer version", async () => {
    const sizeBefore = statSync(live).size;
    const text = join(dir, "notes.txt");
    writeFileSync(text, "not a database\n".repeat(100));
    const empty = join(dir, "empty.db");
    new SQLite(empty).close();
    const newer = join(dir, "newer.db");
    copyFileSync(live, newer);
    const database = new SQLite(newer);
    database
      .prepare("insert into kysely_migration (name, timestamp) values (?, ?)")
      .run("9999-from-the-future", new Date().toISOString());
    database.close();

    expect(await restoreSqlite(text, live, { force: true })).toMatchObject({
      ok: false,
      code: "not_a_backup",
    });
    expect(await restoreSqlite(empty, live, { force: true })).toMatchObject({
      ok: false,
      code: "not_a_backup",
    });
    const fromNewer = await restoreSqlite(newer, live, { force: true });
    expect(fromNewer).toMatchObject({ ok: false, code: "newer_version" });
    expect(fromNewer.ok ? "" : fromNewer.message).toContain("9999-from-the-future");

    expect(statSync(live).size).toBe(sizeBefore);
    expect(markers(live)).toEqual(["live"]);
    expect(leftovers()).toEqual([]);
  });

  it("restores where no database exists yet, without force, creating the folder owner-only", async () => {
    const backup = join(dir, "backup.db");
    await backupSqlite(live, backup, { force: false });
    const target = join(dir, "elsewhere", "restored.db");

    const outcome = await restoreSqlite(backup, target, { force: false });

    expect(outcome).toMatchObject({ ok: true, previous: null });
    expect(markers(target)).toEqual(["live"]);
    expect(statSync(join(dir, "elsewhere")).mode & 0o077).toBe(0);
  });

  it("names the migrations an older backup lacks, for the next start to apply", async () => {
    const backup = join(dir, "backup.db");
    await backupSqlite(live, backup, { force: false });
    const latest = Object.keys(migrations).sort().at(-1)!;
    const database = new SQLite(backup);
    database.prepare("delete from kysely_migration where name = ?").run(latest);
    database.close();

    expect(await restoreSqlite(backup, live, { force: true })).toMatchObject({ ok: true, pending: [latest] });
  });
});
