/**
 * Named prepared statements (store/sql/prepared-statements.ts): on PostgreSQL a statement tagged
 * with `preparedTag` is prepared once on the connection and reused, and every other statement runs
 * unnamed, as before; the refresh rotation is one of the tagged ones. On SQLite the tag is a comment.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { openSqlDatabase, type SqlDatabase } from "../../src/store/sql/database.js";
import { preparedTag } from "../../src/store/sql/prepared-statements.js";
import { createSqlPersistence } from "../../src/store/sql/sql-persistence.js";
import { createPostgresSchema, TEST_STORE } from "../support/test-stores.js";

let dir: string | undefined;
let database: SqlDatabase | undefined;

afterEach(async () => {
  await database?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

async function open(): Promise<SqlDatabase> {
  if (TEST_STORE === "postgres") return openSqlDatabase((await createPostgresSchema()).url, { poolSize: 1 });
  dir = mkdtempSync(join(tmpdir(), "portcullis-prepared-"));
  return openSqlDatabase(`sqlite:${join(dir, "prepared.db")}`);
}

describe(`named prepared statements (${TEST_STORE})`, () => {
  it("runs a tagged statement like any other, prepared once per PostgreSQL connection with the rotation's", async () => {
    // On PostgreSQL one connection, so every statement runs on the connection inspected below.
    database = await open();
    const { db } = database;
    for (const n of [1, 2, 3]) {
      const { rows } = await sql<{
        n: number;
      }>`${sql.raw(preparedTag("test-echo"))} select ${n} as n`.execute(db);
      expect(rows.map((row) => Number(row.n))).toEqual([n]);
    }
    await sql`select 1`.execute(db);
    const rotated = await createSqlPersistence(database).sessions.rotateLiveRefreshToken(
      "no-such-token",
      { id: "successor-id", tokenHash: "successor-hash" },
      Date.now(),
    );
    expect(rotated).toBeUndefined();
    if (TEST_STORE === "postgres") {
      const { rows } = await sql<{
        name: string;
      }>`select name from pg_prepared_statements order by name`.execute(db);
      expect(rows.map((row) => row.name)).toEqual(["rotate-refresh-token", "test-echo"]);
    }
  });

  it("refuses a statement name that is not lower-case words", () => {
    expect(() => preparedTag("Rotate Token */ drop")).toThrow(/not a statement name/);
  });
});
