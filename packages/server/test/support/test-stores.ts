/**
 * Which stores this test run uses. The integration suite runs twice (see vitest.config.ts): on
 * SQLite, and with PORTCULLIS_TEST_STORE=postgres on PostgreSQL + Redis. Every app gets its own
 * PostgreSQL schema and its own Redis key prefix, so runs and tests never see each other's data.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

export type TestStore = "sqlite" | "postgres";

export const TEST_STORE: TestStore = process.env.PORTCULLIS_TEST_STORE === "postgres" ? "postgres" : "sqlite";
export const POSTGRES_TEST_URL =
  process.env.PORTCULLIS_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const REDIS_TEST_URL = process.env.PORTCULLIS_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** Set by the global setup, which drops this run's schemas at the end (see test-support/postgres-schemas.ts). */
const RUN_ID = process.env.PORTCULLIS_TEST_RUN_ID ?? String(process.pid);
const uniqueSuffix = () => `${RUN_ID}_${randomBytes(4).toString("hex")}`;

/** A Redis key prefix no other test or run shares. */
export const uniqueRedisPrefix = () => `pctest:${uniqueSuffix()}:`;

export interface PostgresSchema {
  /** DATABASE_URL whose connections use the schema. */
  url: string;
  name: string;
}

/**
 * A fresh, empty schema in the test database; `url` points every connection's search_path at it.
 * Dropped by the global teardown rather than by the test, since some tests reopen a closed app's data.
 */
export async function createPostgresSchema(baseUrl = POSTGRES_TEST_URL): Promise<PostgresSchema> {
  const name = `t_${uniqueSuffix()}`;
  await withClient(baseUrl, (client) => client.query(`create schema "${name}"`));
  const url = new URL(baseUrl);
  url.searchParams.set("options", `-c search_path=${name}`);
  return { url: url.toString(), name };
}

/** Drops every schema of the run `runId` (the global teardown). */
export async function dropRunSchemas(runId: string, baseUrl = POSTGRES_TEST_URL): Promise<number> {
  return withClient(baseUrl, async (client) => {
    const { rows } = await client.query<{ nspname: string }>(
      "select nspname from pg_namespace where nspname like $1",
      [`t\\_${runId}\\_%`],
    );
    for (const { nspname } of rows) await client.query(`drop schema if exists "${nspname}" cascade`);
    return rows.length;
  });
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
