// PostgreSQL and Redis for the scenarios that need them (scale-out, cookie): a fresh schema and a
// fresh Redis key prefix per deployment, so that runs never see each other's data, both removed
// afterwards. BENCH_POSTGRES_URL and BENCH_REDIS_URL override the local defaults.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { createClient } from "redis";

export const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";

export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Deletes every Redis key that starts with `prefix` (SCAN, not KEYS: never blocks Redis). */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  try {
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) keys.push(...batch);
    for (let i = 0; i < keys.length; i += 1000) await client.del(keys.slice(i, i + 1000));
  } finally {
    client.destroy();
  }
}

export interface SharedStores {
  /** `DATABASE_URL`, `REDIS_URL` and `PORTCULLIS_REDIS_PREFIX` for Portcullis. */
  readonly env: Record<string, string>;
  readonly schema: string;
  /** Drops the schema and deletes the Redis keys under the prefix. */
  drop(): Promise<void>;
}

/** A fresh PostgreSQL schema (via `?options=-c search_path=…`) and a fresh Redis key prefix. */
export async function createSharedStores(): Promise<SharedStores> {
  const schema = `bench_${randomBytes(4).toString("hex")}`;
  await adminQuery(`create schema ${schema}`);
  const url = new URL(POSTGRES_URL);
  url.searchParams.set("options", `-c search_path=${schema}`);
  const prefix = `${schema}:`;
  return {
    env: { DATABASE_URL: url.toString(), REDIS_URL, PORTCULLIS_REDIS_PREFIX: prefix },
    schema,
    drop: async () => {
      await adminQuery(`drop schema if exists ${schema} cascade`);
      await deleteRedisKeys(prefix);
    },
  };
}
