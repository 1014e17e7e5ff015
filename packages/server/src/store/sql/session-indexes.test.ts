/**
 * A user's sessions are found through `sessions_user_id_created_at`, by every query that looks
 * them up (the new-device notice, the device list, signing out everywhere, deleting the user),
 * now that migration 0012 has dropped the single-column index that duplicated it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { openSqlDatabase, type SqlDatabase } from "./database.js";

let database: SqlDatabase | undefined;
afterEach(async () => {
  await database?.close();
});

function sqliteOf(database: SqlDatabase) {
  if (database.sqlite === undefined) throw new Error("not a SQLite database");
  return database.sqlite;
}

function planOf(database: SqlDatabase, query: string): string {
  const statement = sqliteOf(database).prepare(`explain query plan ${query}`);
  // The plan is chosen when the statement is prepared, whatever the values.
  const rows = statement.all(
    ...query
      .split("?")
      .slice(1)
      .map(() => "x"),
  ) as { detail: string }[];
  return rows.map((row) => row.detail).join(" | ");
}

describe("the indexes of the sessions table", () => {
  it("has no single-column user_id index any more", async () => {
    database = await openSqlDatabase("sqlite::memory:");
    const indexes = sqliteOf(database)
      .prepare("select name from sqlite_master where type = 'index' and tbl_name = 'sessions' order by name")
      .all() as { name: string }[];
    expect(indexes.map((index) => index.name)).toEqual([
      "sessions_revoked_at",
      "sessions_token_hash",
      "sessions_user_id_created_at",
      "sqlite_autoindex_sessions_1",
    ]);
  });

  it.each([
    [
      "the new-device notice",
      "select ip, user_agent from sessions where user_id = ? and id != ? order by created_at desc limit 4",
    ],
    [
      "the device list",
      "select * from sessions where user_id = ? and revoked_at is null and expires_at > ? order by last_seen_at desc, id",
    ],
    [
      "signing out everywhere",
      "update sessions set revoked_at = ? where user_id = ? and revoked_at is null and expires_at > ? returning id",
    ],
    ["deleting the user", "delete from users where id = ?"],
  ])("finds a user's sessions by (user_id, created_at) for %s", async (_, query) => {
    database = await openSqlDatabase("sqlite::memory:");
    expect(planOf(database, query)).toMatch(
      /SEARCH sessions USING (COVERING )?INDEX sessions_user_id_created_at \(user_id=\?\)/,
    );
  });
});
