/**
 * `portcullis backup FILE` and `portcullis restore FILE` for a SQLite database (DATABASE_URL
 * `sqlite:…`). A backup may run while servers serve; a restore refuses while any process has the
 * database open, and replaces an existing one only with `--force`. PostgreSQL has its own tools,
 * and saying so beats a half-feature: pg_dump and pg_restore. `--json` prints the report for scripts.
 */
import type { Command } from "commander";
import { ConfigError, loadConfig } from "../config/config.js";
import { findConfigFile } from "../config/config-file.js";
import { sqlitePathFromUrl } from "../store/sql/database.js";
import {
  type BackupOutcome,
  type BackupReport,
  backupSqlite,
  type RestoreReport,
  restoreSqlite,
} from "../store/sql/sqlite-backup.js";

const POSTGRES_ADVICE =
  'DATABASE_URL names PostgreSQL: back it up with pg_dump (`pg_dump --format=custom --file=portcullis.dump "$DATABASE_URL"`) and restore with pg_restore (`pg_restore --clean --if-exists --no-owner --dbname="$DATABASE_URL" portcullis.dump`); see docs/operations.md';

interface FileCommandOptions {
  force?: boolean;
  json?: boolean;
}

/** The SQLite file DATABASE_URL names, or a refusal in words. */
function sqliteDatabasePath():
  | { ok: true; path: string }
  | { ok: false; code: "invalid_configuration" | "unsupported"; message: string } {
  let databaseUrl: string;
  try {
    databaseUrl = loadConfig(process.env, findConfigFile(process.env, process.cwd())).databaseUrl;
  } catch (error) {
    if (error instanceof ConfigError)
      return { ok: false, code: "invalid_configuration", message: error.message };
    throw error;
  }
  if (!databaseUrl.startsWith("sqlite:")) return { ok: false, code: "unsupported", message: POSTGRES_ADVICE };
  const path = sqlitePathFromUrl(databaseUrl);
  if (path === ":memory:")
    return {
      ok: false,
      code: "unsupported",
      message: "DATABASE_URL is sqlite::memory:: there is nothing to back up or restore",
    };
  return { ok: true, path };
}

function report<T extends object>(
  outcome: BackupOutcome<T>,
  json: boolean,
  describe: (report: T) => string,
): void {
  if (!outcome.ok) {
    if (json)
      process.stdout.write(
        `${JSON.stringify({ ok: false, code: outcome.code, message: outcome.message })}\n`,
      );
    process.stderr.write(`${outcome.message}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(json ? `${JSON.stringify(outcome)}\n` : `${describe(outcome)}\n`);
}

function refuse(refusal: { code: string; message: string }, json: boolean): void {
  const { code, message } = refusal;
  if (json) process.stdout.write(`${JSON.stringify({ ok: false, code, message })}\n`);
  process.stderr.write(`${message}\n`);
  process.exitCode = 1;
}

const latest = (migrations: readonly string[]) => migrations.at(-1) ?? "none";

export function registerBackupCommands(program: Command): void {
  program
    .command("backup")
    .description("copy the SQLite database to FILE, safely while servers run (PostgreSQL: use pg_dump)")
    .argument("<file>", "where to write the backup")
    .option("--force", "replace FILE if it exists")
    .option("--json", "one JSON document, for scripts")
    .action(async (file: string, options: FileCommandOptions) => {
      const json = options.json === true;
      const database = sqliteDatabasePath();
      if (!database.ok) return refuse(database, json);
      const outcome = await backupSqlite(database.path, file, { force: options.force === true });
      report<BackupReport>(
        outcome,
        json,
        (done) =>
          `Backed up ${database.path} to ${done.file}: ${done.bytes} bytes, schema ${latest(done.migrations)}, in ${done.durationMs} ms.`,
      );
    });

  program
    .command("restore")
    .description(
      "replace the SQLite database with the backup FILE; stop the servers first (PostgreSQL: use pg_restore)",
    )
    .argument("<file>", "a file written by `backup`")
    .option("--force", "replace the existing database (it is kept beside it as .pre-restore-<time>)")
    .option("--json", "one JSON document, for scripts")
    .action(async (file: string, options: FileCommandOptions) => {
      const json = options.json === true;
      const database = sqliteDatabasePath();
      if (!database.ok) return refuse(database, json);
      const outcome = await restoreSqlite(file, database.path, { force: options.force === true });
      report<RestoreReport>(outcome, json, (done) => {
        const kept = done.previous === null ? "" : ` The database it replaced is at ${done.previous}.`;
        const pending =
          done.pending.length === 0
            ? ""
            : ` The next start applies ${done.pending.length} newer migration(s).`;
        return `Restored ${done.from} to ${done.file} (schema ${latest(done.migrations)}).${kept}${pending}`;
      });
    });
}
