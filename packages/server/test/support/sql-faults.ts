/**
 * Makes a write fail inside the database, as a full disk or a constraint would, with a trigger
 * written for each dialect; the trigger is gone again once `work` settles.
 */
import { sql } from "kysely";
import type { SqlDatabase } from "../../src/store/sql/database.js";

export interface WriteFault {
  name: string;
  table: string;
  /** `insert`, or `update of <column>`. */
  event: string;
  /** A condition on `new`, as SQL; every row when absent. */
  when?: string;
  message: string;
}

export async function withFailingWrites(database: SqlDatabase, fault: WriteFault, work: () => Promise<void>) {
  const { name, table, event, when, message } = fault;
  const condition = when === undefined ? "" : ` when (${when})`;
  const statements =
    database.dialect === "postgres"
      ? [
          `create function ${name}() returns trigger language plpgsql as $$ begin raise exception '${message}'; end $$`,
          `create trigger ${name} before ${event} on ${table} for each row${condition} execute function ${name}()`,
        ]
      : [
          `create trigger ${name} before ${event} on ${table}${condition} begin select raise(abort, '${message}'); end`,
        ];
  const cleanup =
    database.dialect === "postgres"
      ? [`drop trigger ${name} on ${table}`, `drop function ${name}()`]
      : [`drop trigger ${name}`];
  for (const statement of statements) await sql.raw(statement).execute(database.db);
  try {
    await work();
  } finally {
    for (const statement of cleanup) await sql.raw(statement).execute(database.db);
  }
}
