/**
 * Named prepared statements on PostgreSQL, for the few hot statements that are worth it: a query
 * whose SQL begins with `preparedTag(name)` is parsed and planned once per connection, then only
 * bound and executed. Planning the refresh rotation's four-part statement afresh was half of
 * PostgreSQL's CPU per rotation. SQLite ignores the tag (its statements are cached anyway).
 *
 * Behind PgBouncer in transaction mode this needs PgBouncer 1.21 or newer with
 * `max_prepared_statements` above 0 (docs/production.md).
 */
import type pg from "pg";

const PREPARED_TAG = /^\s*\/\* prepared:([a-z0-9-]+) \*\//;

/**
 * The leading comment that makes a statement a named prepared statement. The statement's result
 * columns must not depend on the tables' (no `*`): a column added by a later migration would
 * otherwise fail the plan that a running instance kept ("cached plan must not change result type").
 */
export function preparedTag(name: string): string {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`preparedTag: "${name}" is not a statement name`);
  return `/* prepared:${name} */`;
}

/** Makes the pool's new connection run tagged queries as named prepared statements. */
export function runTaggedQueriesPrepared(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const withNames = (...args: unknown[]) => {
    const [text, values] = args;
    const name = typeof text === "string" ? PREPARED_TAG.exec(text)?.[1] : undefined;
    return name === undefined ? query(...args) : query({ name, text, values });
  };
  Object.assign(client, { query: withNames });
}
