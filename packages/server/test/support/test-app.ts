/**
 * A real app over a real SQLite file in its own temporary folder — or, when the suite runs on
 * PostgreSQL + Redis, over its own PostgreSQL schema and Redis key prefix — driven through
 * `app.inject()`. Argon2 runs with small parameters to keep the suite fast; every other part
 * is what production runs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LightMyRequestResponse } from "fastify";
import { buildApp, type PortcullisApp, type ResolvedConfig } from "../../src/app.js";
import { loadConfig } from "../../src/config/config.js";
import { type Clock, createManualClock } from "../../src/domain/clock.js";
import type { PasswordHasherOptions } from "../../src/domain/passwords/password-hasher.js";
import { openSqlDatabase, type SqlDatabase } from "../../src/store/sql/database.js";
import { createPostgresSchema, REDIS_TEST_URL, TEST_STORE, uniqueRedisPrefix } from "./test-stores.js";

export const TEST_SECRET = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
export const PUBLIC_URL = "http://portcullis.test";
export const STRONG_PASSWORD = "violet-Umbrella-73-quarry";

export interface TestApp extends PortcullisApp {
  config: ResolvedConfig;
  database: SqlDatabase;
  dir: string;
  clock: ReturnType<typeof createManualClock> | Clock;
  /** POST JSON. */
  post(url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  get(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** Registers and logs in a fresh user; returns the token response body. */
  signUp(email?: string, password?: string): Promise<TokenResponseBody>;
  close(): Promise<void>;
}

export interface TokenResponseBody {
  tokenType: string;
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
  user: { id: string; email: string; roles: string[] };
}

let counter = 0;
export const uniqueEmail = (prefix = "user") =>
  `${prefix}-${process.pid}-${Date.now()}-${++counter}@example.com`;

export interface TestAppOptions {
  env?: Record<string, string>;
  /** A manual clock, for expiry tests. Defaults to the system clock. */
  clock?: Clock;
  /** Argon2 settings; cheap by default. Pass `{}` for the production (OWASP) parameters. */
  hasher?: Partial<PasswordHasherOptions>;
  /** On the PostgreSQL run, `false` leaves Redis out (revocations then travel over LISTEN/NOTIFY). */
  redis?: boolean;
  /** Turns on the production logger (its redaction included), writing to this stream. */
  logStream?: { write(line: string): void };
  /** Turns on the production logger with its buffered destination, appending to this file. */
  logFile?: string;
}

export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), "portcullis-test-"));
  const schema =
    TEST_STORE === "postgres" && options.env?.DATABASE_URL === undefined
      ? await createPostgresSchema()
      : null;
  const config = loadConfig({
    NODE_ENV: "test",
    DATABASE_URL: schema?.url ?? `sqlite:${join(dir, "portcullis.db")}`,
    ...(TEST_STORE === "postgres" && options.redis !== false
      ? { REDIS_URL: REDIS_TEST_URL, PORTCULLIS_REDIS_PREFIX: uniqueRedisPrefix() }
      : {}),
    PORTCULLIS_DATA_DIR: dir,
    PORTCULLIS_SECRET: TEST_SECRET,
    PORTCULLIS_PUBLIC_URL: PUBLIC_URL,
    PORTCULLIS_LOGIN_RATE_LIMIT: "off",
    PORTCULLIS_RATE_LIMIT: "off",
    ...options.env,
  }) as ResolvedConfig;
  const database = await openSqlDatabase(config.databaseUrl, { poolSize: 4 });
  const clock = options.clock ?? { now: () => Date.now() };
  const built = await buildApp(config, {
    database,
    clock,
    ...(options.logStream !== undefined
      ? { logStream: options.logStream }
      : options.logFile !== undefined
        ? { logFile: options.logFile }
        : { logger: false }),
    hasher: options.hasher ?? { memoryCost: 1024, timeCost: 1 },
  });
  const { app } = built;

  const post = (url: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.inject({
      method: "POST",
      url,
      headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
  const get = (url: string, headers: Record<string, string> = {}) =>
    app.inject({ method: "GET", url, headers });

  return {
    ...built,
    config,
    database,
    dir,
    clock,
    post,
    get,
    async signUp(email = uniqueEmail(), password = STRONG_PASSWORD) {
      const registered = await post("/v1/auth/register", { email, password });
      if (registered.statusCode !== 201) throw new Error(`register failed: ${registered.body}`);
      const login = await post("/v1/auth/login", { email, password });
      if (login.statusCode !== 200) throw new Error(`login failed: ${login.body}`);
      return login.json<TokenResponseBody>();
    },
    async close() {
      await app.close();
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
export { createManualClock };
