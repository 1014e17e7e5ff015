/**
 * Queries compiled once (store/sql/compiled-query.ts): every call runs with its own values, the
 * builder's constants stay, one compiled function serves SQLite and PostgreSQL side by side, and
 * what cannot be compiled this way is refused rather than run with the wrong values.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { compiledInsert, compiledQuery } from "../../src/store/sql/compiled-query.js";
import { openSqlDatabase, type SqlDatabase } from "../../src/store/sql/database.js";
import { createPostgresSchema, TEST_STORE } from "../support/test-stores.js";

const dirs: string[] = [];
const databases: SqlDatabase[] = [];

afterEach(async () => {
  while (databases.length > 0) await databases.pop()?.close();
  while (dirs.length > 0) rmSync(dirs.pop() as string, { recursive: true, force: true });
});

async function openSqlite(): Promise<SqlDatabase> {
  const dir = mkdtempSync(join(tmpdir(), "portcullis-compiled-"));
  dirs.push(dir);
  const database = await openSqlDatabase(`sqlite:${join(dir, "compiled.db")}`);
  databases.push(database);
  return database;
}

async function open(): Promise<SqlDatabase> {
  if (TEST_STORE === "sqlite") return openSqlite();
  const database = await openSqlDatabase((await createPostgresSchema()).url, { poolSize: 1 });
  databases.push(database);
  return database;
}

const insertRequest = compiledInsert("password_reset_requests", [
  "id",
  "email",
  "ip",
  "user_agent",
  "requested_at",
]);
// Two values from the caller, and a constant of the builder's own (the address).
const requestsOf = compiledQuery((db, email: string, limit: number) =>
  db
    .selectFrom("password_reset_requests")
    .select(["id", "requested_at"])
    .where("email", "=", email)
    .where("ip", "=", "203.0.113.7")
    .orderBy("requested_at", "desc")
    .limit(limit),
);

async function seed(database: Pick<SqlDatabase, "db">): Promise<void> {
  for (const [id, email, at] of [
    ["a1", "ada@example.com", 1],
    ["a2", "ada@example.com", 2],
    ["a3", "ada@example.com", 3],
    ["b1", "bob@example.com", 4],
  ] as const) {
    await insertRequest(database.db, { id, email, ip: "203.0.113.7", user_agent: null, requested_at: at });
  }
  await insertRequest(database.db, {
    id: "a4",
    email: "ada@example.com",
    ip: "198.51.100.1",
    user_agent: "curl",
    requested_at: 5,
  });
}

const ids = (rows: { id: string }[]) => rows.map((row) => row.id);

describe(`compiled queries (${TEST_STORE})`, () => {
  it("runs each call with its own values, and keeps the builder's constants", async () => {
    const { db } = await open();
    await seed({ db });
    expect(ids(await requestsOf(db, "ada@example.com", 2))).toEqual(["a3", "a2"]);
    expect(ids(await requestsOf(db, "ada@example.com", 10))).toEqual(["a3", "a2", "a1"]);
    expect(ids(await requestsOf(db, "bob@example.com", 10))).toEqual(["b1"]);
    expect(ids(await requestsOf(db, "nobody@example.com", 10))).toEqual([]);
  });

  it("serves this run's store and SQLite side by side, each in its own dialect, in and out of transactions", async () => {
    const store = await open();
    const sqlite = await openSqlite();
    await seed(store);
    await seed(sqlite);
    expect(ids(await requestsOf(sqlite.db, "ada@example.com", 1))).toEqual(["a3"]);
    expect(ids(await requestsOf(store.db, "ada@example.com", 1))).toEqual(["a3"]);
    expect(ids(await requestsOf(sqlite.db, "bob@example.com", 1))).toEqual(["b1"]);
    const inTransaction = await store.db
      .transaction()
      .execute((trx) => requestsOf(trx, "bob@example.com", 5));
    expect(ids(inTransaction)).toEqual(["b1"]);
  });

  it("refuses a builder whose argument does not become a parameter", async () => {
    const { db } = await open();
    const byColumn = compiledQuery((db, column: string) =>
      db.selectFrom("password_reset_requests").select(sql.ref(column).as("value")),
    );
    await expect(byColumn(db, "email")).rejects.toThrow(/argument 0 did not become a parameter/);
  });

  it("refuses a call whose arguments the builder does not all declare (a default value)", async () => {
    const { db } = await open();
    const withDefault = compiledQuery((db, email: string, limit: number = 1) =>
      db.selectFrom("password_reset_requests").select("id").where("email", "=", email).limit(limit),
    );
    await expect(withDefault(db, "ada@example.com", 5)).rejects.toThrow(/2 arguments for 1 parameters/);
  });

  it("refuses a row that lacks a column it writes, or has one it does not", async () => {
    const { db } = await open();
    const row = { id: "c1", email: "cy@example.com", ip: null, user_agent: null, requested_at: 1 };
    const { ip: _ip, ...withoutIp } = row;
    await expect(insertRequest(db, withoutIp)).rejects.toThrow(/no value for ip/);
    await expect(insertRequest(db, { ...row, surprise: 1 } as typeof row)).rejects.toThrow(
      /surprise is not a column/,
    );
    const count = await db
      .selectFrom("password_reset_requests")
      .select((c) => c.fn.countAll().as("n"))
      .executeTakeFirst();
    expect(Number(count?.n)).toBe(0);
  });
});
