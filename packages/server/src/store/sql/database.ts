/**
 * Opens the SQL database named by DATABASE_URL and brings its schema up to date. SQLite runs
 * in WAL mode with foreign keys on, a busy timeout, and transactions that take the write lock as
 * they begin, so the CLI can write while the server runs.
 * PostgreSQL goes through a `pg` pool; both dialects share every migration and repository.
 */
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import {
  Kysely,
  type Migration,
  PostgresAdapter,
  PostgresDialect,
  type SqliteDatabase,
  SqliteDialect,
  sql,
} from "kysely";
import pg from "pg";
import { migrations } from "./migrations/index.js";
import { runTaggedQueriesPrepared } from "./prepared-statements.js";
import type { Database } from "./schema.js";
import SQLite from "./sqlite-driver.js";

export type SqlDialectName = "sqlite" | "postgres";

export interface SqlDatabase {
  db: Kysely<Database>;
  dialect: SqlDialectName;
  /** SQLite only: the connection Kysely uses, for the group-committed refresh rotations. */
  sqlite?: BetterSqlite3.Database;
  close(): Promise<void>;
}

/** `sqlite:./data/x.db` → an absolute path; `sqlite::memory:` stays in memory. */
export function sqlitePathFromUrl(url: string): string {
  const path = url.slice("sqlite:".length);
  return path === ":memory:" ? path : resolve(path);
}

export interface SqlDatabaseOptions {
  /** PostgreSQL pool size; ten by default. */
  poolSize?: number;
  /** Apply pending migrations on open (default); `doctor` opens without, to look and change nothing. */
  migrate?: boolean;
}

export const WAL_CHECKPOINT_PAGES = 10_000;
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

export async function openSqlDatabase(url: string, options: SqlDatabaseOptions = {}): Promise<SqlDatabase> {
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) return openPostgres(url, options);
  if (!url.startsWith("sqlite:")) throw new Error("DATABASE_URL must start with sqlite: or postgres://");
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
  // A checkpoint copies the log back into the database file (and syncs both) inside whichever
  // commit crosses the threshold, on the event loop. Every 10,000 pages (~40 MB of log) instead
  // of SQLite's 1,000, a write transaction spends about 10% less CPU (measured on refresh
  // rotations); the log file is cut back to 64 MB after a checkpoint rather than staying at its largest.
  sqlite.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
  sqlite.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  if (options.migrate !== false) await migrateToLatest(db);
  return { db, dialect: "sqlite", sqlite, close: () => db.destroy() };
}

/** int8 (bigint, bigserial) and numeric arrive as strings by default; every such column here holds milliseconds or counters well below 2^53. */
const PG_INT8_OID = 20;
const postgresTypes = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === PG_INT8_OID && format !== "binary"
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

async function openPostgres(url: string, options: SqlDatabaseOptions): Promise<SqlDatabase> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    types: postgresTypes,
    // A request waits this long for a connection, then fails (503) rather than hanging while the database is away.
    connectionTimeoutMillis: 5_000,
    application_name: "portcullis",
  });
  // A connection that dies emits "error" — on the pool while idle, on its client while checked out
  // (between the queries of a transaction). Unheard, either would end the process; the failure
  // reaches the request through its next query instead, answered 503.
  pool.on("error", () => {});
  pool.on("connect", (client) => {
    client.on("error", () => {});
    runTaggedQueriesPrepared(client);
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  if (options.migrate !== false) await migrateToLatest(db);
  return { db, dialect: "postgres", close: () => db.destroy() };
}

const STATEMENT_CACHE_SIZE = 256;

/** Stands in for ROLLBACK when SQLite has already rolled the transaction back. */
const NOTHING_TO_ROLL_BACK = {
  reader: false,
  all: () => [],
  run: () => ({ changes: 0, lastInsertRowid: 0 }),
  iterate: () => [][Symbol.iterator](),
} as const;

/**
 * Kysely prepares every query afresh; preparing costs about as much as running a point lookup.
 * Statements are reusable in better-sqlite3 (Kysely never iterates two at once on the one
 * connection), so keep the most recent ones by SQL text.
 */
function withStatementCache(sqlite: BetterSqlite3.Database): SqliteDatabase {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    prepare(sql) {
      // SQLite ends the transaction by itself on some errors (a full disk, an I/O error); the
      // ROLLBACK that Kysely then sends would fail ("no transaction is active") and hide the error
      // that says what happened.
      if (sql === "rollback" && !sqlite.inTransaction) return NOTHING_TO_ROLL_BACK;
      // Kysely's `begin` is deferred: a transaction that reads before it writes then fails at its
      // first write (SQLITE_BUSY_SNAPSHOT, which no busy timeout waits out) if another process
      // wrote in between — the CLI beside the server, instances starting together. `begin
      // immediate` takes the write lock first, queueing on the busy timeout instead. The locks
      // taken on PostgreSQL alone (migrations, the first signing key, the audit chain, the last
      // administrator) rely on this.
      const text = sql === "begin" ? "begin immediate" : sql;
      let statement = statements.get(text);
      if (statement === undefined) {
        statement = sqlite.prepare(text);
        if (statements.size >= STATEMENT_CACHE_SIZE)
          statements.delete(statements.keys().next().value as string);
        statements.set(text, statement);
      }
      return statement;
    },
    close() {
      statements.clear();
      sqlite.close();
    },
  };
}

/** The advisory lock instances take while migrating ("PCMIGRATE" in ASCII, truncated to 63 bits). */
const MIGRATION_LOCK = 0x50434d4947524154n;

/**
 * Applies the migrations not yet applied, in name order, in one transaction: all or nothing.
 * Bookkeeping uses Kysely's own table (`kysely_migration`, same shape), so databases migrated by
 * earlier versions carry on. Kysely's `Migrator` is not used: on PostgreSQL it introspects every
 * column of every schema in the database at each start, which grows slow with many schemas and
 * fails when one is dropped meanwhile. Instances starting together queue on a lock.
 */
export async function migrateToLatest(db: Kysely<Database>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  let current = "";
  const migrate = async (trx: Kysely<Database>) => {
    await sql`create table if not exists kysely_migration (name varchar(255) not null primary key, timestamp varchar(255) not null)`.execute(
      trx,
    );
    const rows = await sql<{ name: string }>`select name from kysely_migration`.execute(trx);
    const applied = new Set(rows.rows.map((row) => row.name));
    const unknown = [...applied].filter((name) => !(name in migrations));
    if (unknown.length > 0)
      throw new Error(
        `the database has migrations this version does not know (${unknown.join(", ")}): it was migrated by a newer Portcullis`,
      );
    for (const name of Object.keys(migrations).sort()) {
      if (applied.has(name)) continue;
      current = name;
      await (migrations[name] as Migration).up(trx as unknown as Kysely<unknown>);
      await sql`insert into kysely_migration (name, timestamp) values (${name}, ${new Date().toISOString()})`.execute(
        trx,
      );
    }
  };
  try {
    await db.transaction().execute(async (trx) => {
      // SQLite queues writers by itself (every transaction begins immediate, see withStatementCache).
      if (postgres)
        await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK.toString()}::bigint)`.execute(trx);
      await migrate(trx);
    });
  } catch (error) {
    throw new Error(
      `Database migration ${current || "setup"} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
