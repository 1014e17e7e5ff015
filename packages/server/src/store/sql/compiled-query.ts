/**
 * Queries of a fixed shape, built with Kysely's builder and compiled once per dialect: each run
 * only puts its values in the compiled statement's parameters. Kysely builds and compiles every
 * query afresh, an immutable tree of frozen objects walked by a visitor; on a login's path that
 * was 15% of the event loop's time, more than half of what SQLite took to run the statements
 * (measured with `--cpu-prof` during a login storm). For the statements that run on every
 * sign-in; the rest stay ordinary builder code.
 *
 * The builder is called once with placeholders, which Kysely turns into parameters like any
 * value; compiling then tells which parameter each placeholder became. A builder whose shape
 * depends on its values (an `in` list, a condition added only for some values) must not be
 * compiled this way; a placeholder that did not become a parameter is refused at the first run.
 */
import type { Compilable, CompiledQuery, Insertable, Kysely } from "kysely";
import type { Database } from "./schema.js";

/** A placeholder: a string no caller's value can be, naming its argument. */
const placeholder = (index: number) => `\u0000compiled-query-argument-${index}`;

interface Compiled {
  query: CompiledQuery;
  /** For each parameter, the argument it takes, or -1 to keep the compiled constant. */
  argumentOf: number[];
}

type Build = (db: Kysely<Database>, args: readonly unknown[]) => Compilable<unknown>;

function compile(build: Build, db: Kysely<Database>, arity: number): Compiled {
  const holes = Array.from({ length: arity }, (_, index) => placeholder(index));
  const query = build(db, holes).compile();
  const argumentOf = query.parameters.map((value) => holes.indexOf(value as string));
  for (let index = 0; index < arity; index++) {
    if (!argumentOf.includes(index))
      throw new Error(`compiledQuery: argument ${index} did not become a parameter of: ${query.sql}`);
  }
  return { query, argumentOf };
}

/** Runs `build`'s query, compiled once per dialect, with `arity` arguments. */
function precompiled<Row>(build: Build, arity: number) {
  // By dialect (SQLite and PostgreSQL write parameters differently); a transaction shares its
  // database's adapter.
  const byDialect = new Map<unknown, Compiled>();
  return async (db: Kysely<Database>, args: readonly unknown[]): Promise<Row[]> => {
    const adapter = db.getExecutor().adapter.constructor;
    let compiled = byDialect.get(adapter);
    if (compiled === undefined) {
      compiled = compile(build, db, arity);
      byDialect.set(adapter, compiled);
    }
    const { query, argumentOf } = compiled;
    const parameters = argumentOf.map((argument, index) =>
      argument === -1 ? query.parameters[index] : args[argument],
    );
    // The same query node and id each run: no Kysely plugin is installed that keys on them.
    const result = await db.executeQuery<Row>({ ...query, parameters } as CompiledQuery<Row>);
    return result.rows;
  };
}

/**
 * A query whose every argument is a declared parameter of `build` (none with a default, no rest
 * parameter), used only as a value.
 * @example
 * const userByEmail = compiledQuery((db, email: string) =>
 *   db.selectFrom("users").selectAll().where("email", "=", email));
 * const rows = await userByEmail(trx, "ada@example.com");
 */
export function compiledQuery<Args extends unknown[], Row>(
  build: (db: Kysely<Database>, ...args: Args) => Compilable<Row>,
): (db: Kysely<Database>, ...args: Args) => Promise<Row[]> {
  const arity = build.length - 1;
  const run = precompiled<Row>((db, args) => build(db, ...(args as Args)), arity);
  return async (db, ...args) => {
    // A parameter with a default or a rest parameter is not counted in `build.length`.
    if (args.length !== arity)
      throw new Error(`compiledQuery: ${args.length} arguments for ${arity} parameters`);
    return run(db, args);
  };
}

/**
 * An insert of one row into `table`, naming every column it writes. The row must have a value
 * for each (null where it has none: Kysely's builder would drop a missing column and leave the
 * table's default to fill it, which a compiled statement cannot do) and no other.
 * @example
 * const insertKey = compiledInsert("api_keys", ["id", "user_id", "name"]);
 * await insertKey(trx, { id, user_id: userId, name });
 */
export function compiledInsert<Table extends keyof Database & string>(
  table: Table,
  columns: readonly (keyof Database[Table] & string)[],
): (db: Kysely<Database>, row: Insertable<Database[Table]>) => Promise<void> {
  const run = precompiled<unknown>(
    (db, args) =>
      (db as unknown as Kysely<Record<string, Record<string, unknown>>>)
        .insertInto(table)
        .values(Object.fromEntries(columns.map((column, index) => [column, args[index]]))),
    columns.length,
  );
  const named = new Set<string>(columns);
  return async (db, row) => {
    const values = columns.map((column) => (row as Record<string, unknown>)[column]);
    const missing = values.indexOf(undefined);
    if (missing !== -1) throw new Error(`compiledInsert(${table}): no value for ${columns[missing]}`);
    for (const key in row)
      if (!named.has(key)) throw new Error(`compiledInsert(${table}): ${key} is not a column it writes`);
    await run(db, values);
  };
}
