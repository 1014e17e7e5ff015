/**
 * Opens the SQL database named by DATABASE_URL and brings its schema up to date. SQLite runs
 * in WAL mode with foreign keys on and a busy timeout, so the CLI can write while the server runs.
 */
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname, resolve } from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, Migrator, type SqliteDatabase, SqliteDialect } from "kysely";
import { migrationProvider } from "./migrations/index.js";
import type { Database } from "./schema.js";

export type SqlDialectName = "sqlite" | "postgres";

export interface SqlDatabase {
  db: Kysely<Database>;
  dialect: SqlDialectName;
  close(): Promise<void>;
}

/** `sqlite:./data/x.db` → an absolute path; `sqlite::memory:` stays in memory. */
export function sqlitePathFromUrl(url: string): string {
  const path = url.slice("sqlite:".length);
  return path === ":memory:" ? path : resolve(path);
}

export async function openSqlDatabase(url: string): Promise<SqlDatabase> {
  if (!url.startsWith("sqlite:")) {
    // TODO(issue 3): PostgreSQL through `pg`.
    throw new Error("DATABASE_URL: only sqlite: URLs are supported by this build");
  }
  const path = sqlitePathFromUrl(url);
  if (path !== ":memory:") {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // Created owner-only before SQLite opens it; SQLite gives its -wal and -shm files the same mode.
    closeSync(openSync(path, "a", 0o600));
  }
  const sqlite = new SQLite(path);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("synchronous = NORMAL");
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  await migrateToLatest(db);
  return { db, dialect: "sqlite", close: () => db.destroy() };
}

const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely prepares every query afresh; preparing costs about as much as running a point lookup.
 * Statements are reusable in better-sqlite3 (Kysely never iterates two at once on the one
 * connection), so keep the most recent ones by SQL text.
 */
function withStatementCache(sqlite: SQLite.Database): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    prepare(sql) {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = sqlite.prepare(sql);
        if (statements.size >= STATEMENT_CACHE_SIZE)
          statements.delete(statements.keys().next().value as string);
        statements.set(sql, statement);
      }
      return statement;
    },
    close() {
      statements.clear();
      sqlite.close();
    },
  };
}

export async function migrateToLatest(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((result) => result.status === "Error")?.migrationName ?? "unknown";
    throw new Error(
      `Database migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
