/**
 * Migrations: instances starting together against one empty database migrate it once between
 * them; a restart applies nothing twice; a database migrated by a newer version is refused.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { openSqlDatabase } from "../../src/store/sql/database.js";
import { migrations } from "../../src/store/sql/migrations/index.js";
import { CLI_ENTRY, runTypeScript } from "../support/node-process.js";
import { TEST_SECRET } from "../support/test-app.js";
import { createPostgresSchema, TEST_STORE } from "../support/test-stores.js";

const dir = mkdtempSync(join(tmpdir(), "portcullis-migrations-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function emptyDatabaseUrl(name: string): Promise<string> {
  return TEST_STORE === "postgres" ? (await createPostgresSchema()).url : `sqlite:${join(dir, `${name}.db`)}`;
}

describe(`migrations (${TEST_STORE})`, () => {
  it("migrate an empty database once when three processes start together, and nothing twice on restart", async () => {
    const url = await emptyDatabaseUrl("together");
    const env = { DATABASE_URL: url, PORTCULLIS_SECRET: TEST_SECRET, PORTCULLIS_DATA_DIR: dir };
    const runs = await Promise.all(
      [1, 2, 3].map(() => runTypeScript(CLI_ENTRY, ["migrate"], { cwd: dir, env, timeoutMs: 30_000 })),
    );
    for (const run of runs) expect(run.code, run.stderr).toBe(0);

    const again = await openSqlDatabase(url);
    const rows = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
      again.db,
    );
    expect(rows.rows.map((row) => row.name)).toEqual(Object.keys(migrations).sort());
    await again.close();
  });

  it("refuse a database that a newer version has migrated, naming the unknown migration", async () => {
    const url = await emptyDatabaseUrl("newer");
    const database = await openSqlDatabase(url);
    await sql`insert into kysely_migration (name, timestamp) values ('9999-from-the-future', 'x')`.execute(
      database.db,
    );
    await database.close();
    await expect(openSqlDatabase(url)).rejects.toThrow(/9999-from-the-future.*newer Portcullis/);
  });
});
