/**
 * Several real server processes (`src/main.ts`) sharing one PostgreSQL schema and one Redis key
 * prefix: a deployment of N stateless instances on one machine.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CLI_ENTRY,
  findFreePort,
  type NodeProcess,
  runTypeScript,
  SERVER_ENTRY,
  spawnTypeScript,
} from "./node-process.js";
import { TEST_SECRET } from "./test-app.js";
import {
  createPostgresSchema,
  type PostgresSchema,
  REDIS_TEST_URL,
  uniqueRedisPrefix,
} from "./test-stores.js";

// Generous: on a loaded machine (CI, many suites at once) tsx takes a while to compile the server.
const START_TIMEOUT_MS = 60_000;

export interface Instance {
  url: string;
  process: NodeProcess;
}

export interface Cluster {
  instances: Instance[];
  /** The PostgreSQL schema; every connection of the cluster names it as its `application_name`. */
  schema: PostgresSchema;
  env: Record<string, string>;
  /** Runs `portcullis <args>` against the cluster's database. */
  cli(args: string[]): ReturnType<typeof runTypeScript>;
  stop(): Promise<void>;
}

export async function startCluster(size: number, env: Record<string, string> = {}): Promise<Cluster> {
  const schema = await createPostgresSchema();
  // So a test can find (and end) this cluster's connections in pg_stat_activity.
  const databaseUrl = new URL(schema.url);
  databaseUrl.searchParams.set("application_name", schema.name);
  const dir = mkdtempSync(join(tmpdir(), "portcullis-cluster-"));
  const shared = {
    NODE_ENV: "test",
    DATABASE_URL: databaseUrl.toString(),
    REDIS_URL: REDIS_TEST_URL,
    PORTCULLIS_REDIS_PREFIX: uniqueRedisPrefix(),
    PORTCULLIS_SECRET: TEST_SECRET,
    PORTCULLIS_PUBLIC_URL: "http://portcullis.test",
    PORTCULLIS_DATA_DIR: dir,
    PORTCULLIS_MAIL_OUTBOX: join(dir, "outbox"),
    PORTCULLIS_RATE_LIMIT: "off",
    ...env,
  };
  // The first instance migrates the schema; the others then start against it in parallel.
  const startOne = async () => {
    const port = await findFreePort();
    const process = spawnTypeScript(SERVER_ENTRY, [], { cwd: dir, env: { ...shared, PORT: String(port) } });
    await process.waitForOutput("stdout", /listening/i, START_TIMEOUT_MS);
    return { url: `http://localhost:${port}`, process };
  };
  const first = await startOne();
  const rest = await Promise.all(Array.from({ length: size - 1 }, startOne));
  const instances = [first, ...rest];
  return {
    instances,
    schema,
    env: shared,
    cli: (args) => runTypeScript(CLI_ENTRY, args, { cwd: dir, env: shared, timeoutMs: 30_000 }),
    async stop() {
      await Promise.all(instances.map((instance) => instance.process.kill()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
