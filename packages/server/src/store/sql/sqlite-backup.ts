/**
 * Backups of a SQLite database while servers use it, and their restore.
 *
 * `backupSqlite` copies through SQLite's online backup API (https://sqlite.org/backup.html) in a
 * single step, so the copy is one consistent snapshot taken under a read transaction: in WAL mode
 * that blocks no writer, and no write can make the copy start over. The copy is written beside the
 * destination under a temporary name, checked, switched to a single-file journal and renamed into
 * place, so a destination either holds a complete, verified backup or is left as it was.
 *
 * `restoreSqlite` checks the backup (it opens, `quick_check` passes, every migration it records is
 * one this version knows), refuses while any process holds the target database, and replaces the
 * target by a rename; the previous file stays beside it, hard-linked under `.pre-restore-<time>`.
 */
import { randomUUID } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { migrations } from "./migrations/index.js";
import SQLite from "./sqlite-driver.js";

/** better-sqlite3 clamps a step to this many pages; the whole database fits in one step. */
const ALL_PAGES = 0x7fffffff;

export type BackupRefusal =
  | { code: "source_missing"; message: string }
  | { code: "target_exists"; message: string }
  | { code: "target_in_use"; message: string }
  | { code: "not_a_backup"; message: string }
  | { code: "newer_version"; message: string };

export type BackupOutcome<T> = ({ ok: true } & T) | ({ ok: false } & BackupRefusal);

export interface BackupReport {
  file: string;
  bytes: number;
  pages: number;
  /** Migrations recorded in the copy, in order; the last names the schema version. */
  migrations: string[];
  durationMs: number;
}

export interface RestoreReport {
  file: string;
  from: string;
  /** Where the database that was replaced now is (a hard link), or null when there was none. */
  previous: string | null;
  migrations: string[];
  /** Migrations this version will apply at the next start (the backup came from an older version). */
  pending: string[];
  durationMs: number;
}

/** What a database file holds, or why it is no Portcullis database. */
type Inspection =
  | { ok: true; migrations: string[] }
  | ({ ok: false } & Extract<BackupRefusal, { code: "not_a_backup" | "newer_version" }>);

function inspect(database: BetterSqlite3.Database, path: string): Inspection {
  try {
    const check = database.pragma("quick_check", { simple: true });
    if (check !== "ok")
      return { ok: false, code: "not_a_backup", message: `${path} is damaged: ${String(check)}` };
    const table = database
      .prepare("select 1 from sqlite_master where type = 'table' and name = 'kysely_migration'")
      .get();
    if (table === undefined)
      return {
        ok: false,
        code: "not_a_backup",
        message: `${path} is no Portcullis database (no migrations table)`,
      };
    const recorded = database
      .prepare("select name from kysely_migration order by name")
      .pluck()
      .all() as string[];
    const unknown = recorded.filter((name) => !(name in migrations));
    if (unknown.length > 0)
      return {
        ok: false,
        code: "newer_version",
        message: `${path} has migrations this version does not know (${unknown.join(", ")}): it was made by a newer Portcullis`,
      };
    return { ok: true, migrations: recorded };
  } catch (error) {
    return { ok: false, code: "not_a_backup", message: `${path} is no SQLite database: ${messageOf(error)}` };
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A new, empty, owner-only file beside `target` (its folder created owner-only, as the server's
 * own): the copy holds password hashes and sealed keys.
 */
function createTemporaryBeside(target: string): string {
  mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
  const path = join(dirname(target), `.${basename(target)}.${randomUUID()}.partial`);
  closeSync(openSync(path, "wx", 0o600));
  return path;
}

function removeQuietly(path: string): void {
  for (const file of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`]) {
    try {
      unlinkSync(file);
    } catch {
      // Already gone.
    }
  }
}

/** A rename is durable once the directory that records it is flushed. */
function syncDirectory(path: string): void {
  const descriptor = openSync(dirname(path), "r");
  try {
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
}

/**
 * Copies the database at `sourcePath` into `destination`, safely while servers write to it.
 *
 * @example
 * const outcome = await backupSqlite("/srv/portcullis/data/portcullis.db", "/backups/pc-2026-12-03.db", { force: false });
 * if (!outcome.ok) console.error(outcome.message);
 */
export async function backupSqlite(
  sourcePath: string,
  destination: string,
  options: { force: boolean },
): Promise<BackupOutcome<BackupReport>> {
  const started = performance.now();
  const target = resolve(destination);
  if (!existsSync(sourcePath))
    return { ok: false, code: "source_missing", message: `there is no database at ${sourcePath}` };
  if (existsSync(target) && !options.force)
    return { ok: false, code: "target_exists", message: `${target} exists; pass --force to replace it` };
  // Not read-only: a read-only connection cannot open a WAL database whose -shm file is gone.
  const source = new SQLite(sourcePath, { fileMustExist: true });
  const temporary = createTemporaryBeside(target);
  try {
    source.pragma("busy_timeout = 5000");
    // One step: a copy made in several would start over whenever a server writes in between.
    const { totalPages } = await source.backup(temporary, { progress: () => ALL_PAGES });
    const copy = new SQLite(temporary, { fileMustExist: true });
    let inspection: Inspection;
    try {
      inspection = inspect(copy, sourcePath);
      // A single file that opens anywhere, read-only media included; restore turns WAL back on.
      if (inspection.ok) copy.pragma("journal_mode = DELETE");
    } finally {
      copy.close();
    }
    if (!inspection.ok) {
      removeQuietly(temporary);
      return inspection;
    }
    renameSync(temporary, target);
    syncDirectory(target);
    return {
      ok: true,
      file: target,
      bytes: statSync(target).size,
      pages: totalPages,
      migrations: inspection.migrations,
      durationMs: Math.round(performance.now() - started),
    };
  } catch (error) {
    removeQuietly(temporary);
    throw error;
  } finally {
    source.close();
  }
}

/**
 * Whether a process other than this one has the database open: a WAL-mode connection holds a
 * shared lock as long as it is open, so an exclusive lock is refused at once (busy timeout 0).
 * The probe's own close checkpoints the WAL into the file and removes the -wal and -shm files.
 */
function heldByAnotherProcess(path: string): boolean {
  const probe = new SQLite(path, { fileMustExist: true });
  try {
    probe.pragma("busy_timeout = 0");
    probe.pragma("locking_mode = EXCLUSIVE");
    probe.exec("begin exclusive");
    probe.exec("commit");
    return false;
  } catch (error) {
    if (error instanceof SQLite.SqliteError && error.code.startsWith("SQLITE_BUSY")) return true;
    throw error;
  } finally {
    probe.close();
  }
}

/**
 * Replaces the database at `targetPath` with the backup at `backupPath`. Stop the servers first:
 * a target that any process holds open is refused, `--force` or not.
 *
 * @example
 * const outcome = await restoreSqlite("/backups/pc-2026-12-03.db", "/srv/portcullis/data/portcullis.db", { force: true });
 */
export async function restoreSqlite(
  backupPath: string,
  targetPath: string,
  options: { force: boolean },
): Promise<BackupOutcome<RestoreReport>> {
  const started = performance.now();
  const from = resolve(backupPath);
  if (!existsSync(from))
    return { ok: false, code: "source_missing", message: `there is no backup at ${from}` };
  const targetExists = existsSync(targetPath);
  if (targetExists && !options.force)
    return {
      ok: false,
      code: "target_exists",
      message: `${targetPath} exists; stop every server using it and pass --force to replace it`,
    };
  const inUse = {
    ok: false,
    code: "target_in_use",
    message: `${targetPath} is open in another process (a running server or CLI): stop it first`,
  } as const;
  if (targetExists && heldByAnotherProcess(targetPath)) return inUse;

  let backup: BetterSqlite3.Database;
  try {
    // Read-only: restoring never changes the backup.
    backup = new SQLite(from, { readonly: true, fileMustExist: true });
  } catch (error) {
    return { ok: false, code: "not_a_backup", message: `${from} cannot be opened: ${messageOf(error)}` };
  }
  const temporary = createTemporaryBeside(targetPath);
  try {
    const inspection = inspect(backup, from);
    if (!inspection.ok) {
      removeQuietly(temporary);
      return inspection;
    }
    await backup.backup(temporary, { progress: () => ALL_PAGES });
    // Checked again just before the switch: a server may have started during the copy.
    if (targetExists && heldByAnotherProcess(targetPath)) {
      removeQuietly(temporary);
      return inUse;
    }
    // A WAL file left by a crash belongs to the old database; replayed onto the new one it would corrupt it.
    if (existsSync(`${targetPath}-wal`)) {
      removeQuietly(temporary);
      return inUse;
    }
    let previous: string | null = null;
    if (targetExists) {
      previous = `${targetPath}.pre-restore-${new Date().toISOString().replaceAll(":", "-")}`;
      linkSync(targetPath, previous);
    }
    renameSync(temporary, targetPath);
    syncDirectory(targetPath);
    const known = Object.keys(migrations).sort();
    return {
      ok: true,
      file: targetPath,
      from,
      previous,
      migrations: inspection.migrations,
      pending: known.filter((name) => !inspection.migrations.includes(name)),
      durationMs: Math.round(performance.now() - started),
    };
  } catch (error) {
    removeQuietly(temporary);
    throw error;
  } finally {
    backup.close();
  }
}
