// Scenario "scale-out": what PostgreSQL, Redis and several instances cost and give.
//   (a) refresh-token rotations per second, one instance on SQLite vs one on PostgreSQL + Redis,
//       from `connections` concurrent chains (each chain presents the token the previous rotation
//       issued: every request is a transaction with a compare-and-swap);
//   (b) GET /v1/me on three instances sharing PostgreSQL + Redis vs one, same total connections;
//   (c) the revocation propagation delay: logout on A, then B polled until it refuses the token.
// On a 2-core machine three instances share the cores with the load generator: (b) shows the
// overhead of running many, not a speed-up; on real hardware each instance has its own cores.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { freePort, makeTmpDir, removeTmpDir, startTarget, type Target } from "../lib/child.js";
import { ms, rate, table, times } from "../lib/format.js";
import { runLoadInWorker } from "../lib/load-worker.js";
import { loginTokens, registerUser } from "../lib/portcullis.js";
import { median } from "../lib/stats.js";
import { createSharedStores, type SharedStores } from "../lib/stores.js";
import type { BenchOptions, ScenarioReport } from "./types.js";

const PROPAGATION_ROUNDS = 100;

interface Deployment {
  instances: Target[];
  stop(): Promise<void>;
}

async function deploy(
  options: BenchOptions,
  store: "sqlite" | "postgres",
  count: number,
): Promise<Deployment> {
  const dir = makeTmpDir("portcullis-bench-scale-");
  const common: Record<string, string> = {
    HOST: "127.0.0.1",
    NODE_ENV: "production",
    PORTCULLIS_SECRET: randomBytes(36).toString("base64url"),
    PORTCULLIS_PUBLIC_URL: "http://127.0.0.1",
    PORTCULLIS_LOGIN_RATE_LIMIT: "off",
    PORTCULLIS_RATE_LIMIT: "off",
    PORTCULLIS_MAIL_OUTBOX: join(dir, "outbox"),
  };
  let stores: SharedStores | undefined;
  if (store === "postgres") {
    stores = await createSharedStores();
    Object.assign(common, stores.env);
  } else {
    common.DATABASE_URL = `sqlite:${join(dir, "bench.db")}`;
  }
  const instances: Target[] = [];
  const stop = async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    await stores?.drop();
    removeTmpDir(dir);
  };
  try {
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      instances.push(
        await startTarget({
          name: `portcullis-${store}-${i}`,
          args: [options.server],
          port,
          verbose: options.verbose,
          readyTries: 600,
          env: { ...common, PORT: String(port) },
        }),
      );
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { instances, stop };
}

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
}

/** Rotations per second from `chains` concurrent refresh chains over `seconds`. */
async function rotationsPerSecond(baseUrl: string, chains: number, seconds: number): Promise<number> {
  const creds = await registerUser(baseUrl, "refresh");
  const starts = await Promise.all(Array.from({ length: chains }, () => loginTokens(baseUrl, creds)));
  let rotations = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    starts.map(async ({ refreshToken }) => {
      let token = refreshToken;
      while (performance.now() < deadline) {
        const response = await postJson(`${baseUrl}/v1/auth/refresh`, { refreshToken: token });
        const body = (await response.json()) as { refreshToken?: string };
        if (response.status !== 200 || body.refreshToken === undefined)
          throw new Error(`POST /v1/auth/refresh answered ${response.status}`);
        token = body.refreshToken;
        rotations++;
      }
    }),
  );
  return rotations / ((performance.now() - started) / 1000);
}

async function meThroughput(targets: Target[], token: string, options: BenchOptions): Promise<number> {
  const each = Math.max(1, Math.round(options.connections / targets.length));
  const results = await Promise.all(
    targets.map((target) =>
      runLoadInWorker({
        url: `${target.baseUrl}/v1/me`,
        connections: each,
        duration: options.duration,
        headers: { authorization: `Bearer ${token}` },
      }),
    ),
  );
  return results.reduce((sum, result) => sum + result.okPerSecond, 0);
}

/** Milliseconds from a logout on `a` until `b` refuses the token, over many sessions. */
async function propagationDelays(a: Target, b: Target): Promise<number[]> {
  const creds = await registerUser(a.baseUrl, "propagation");
  const delays: number[] = [];
  for (let round = 0; round < PROPAGATION_ROUNDS; round++) {
    const { accessToken } = await loginTokens(a.baseUrl, creds);
    const auth = { authorization: `Bearer ${accessToken}` };
    const started = performance.now();
    const logout = await postJson(`${a.baseUrl}/v1/auth/logout`, {}, auth);
    if (logout.status !== 204) throw new Error(`logout answered ${logout.status}`);
    for (;;) {
      const status = (await fetch(`${b.baseUrl}/v1/me`, { headers: auth })).status;
      if (status === 401) break;
      if (performance.now() - started > 5_000) throw new Error("B still accepts the token after 5 s");
    }
    delays.push(performance.now() - started);
  }
  return delays.sort((x, y) => x - y);
}

export async function runScaleOut(options: BenchOptions): Promise<ScenarioReport> {
  const rows: string[][] = [];
  const notes: string[] = [];
  const rotation: Record<string, number[]> = { sqlite: [], postgres: [] };
  const me: Record<string, number[]> = { one: [], three: [] };
  let delays: number[] = [];

  for (let round = 0; round < options.rounds; round++) {
    for (const store of ["sqlite", "postgres"] as const) {
      const single = await deploy(options, store, 1);
      try {
        const target = single.instances[0] as Target;
        rotation[store]?.push(
          await rotationsPerSecond(target.baseUrl, options.connections, options.duration),
        );
      } finally {
        await single.stop();
      }
    }
    for (const [label, count] of [
      ["one", 1],
      ["three", 3],
    ] as const) {
      const deployment = await deploy(options, "postgres", count);
      try {
        const first = deployment.instances[0] as Target;
        const { accessToken } = await loginTokens(first.baseUrl, await registerUser(first.baseUrl, "me"));
        me[label]?.push(await meThroughput(deployment.instances, accessToken, options));
        if (count === 3 && round === 0)
          delays = await propagationDelays(first, deployment.instances[1] as Target);
      } finally {
        await deployment.stop();
      }
    }
  }

  const sqliteRate = median(rotation.sqlite ?? []);
  const postgresRate = median(rotation.postgres ?? []);
  const oneRate = median(me.one ?? []);
  const threeRate = median(me.three ?? []);
  rows.push(["refresh rotations/s, SQLite (1 instance)", rate(sqliteRate), "1.00×"]);
  rows.push([
    "refresh rotations/s, PostgreSQL + Redis (1 instance)",
    rate(postgresRate),
    times(postgresRate / sqliteRate),
  ]);
  rows.push(["GET /v1/me req/s, 1 instance (PostgreSQL + Redis)", rate(oneRate), "1.00×"]);
  rows.push([
    "GET /v1/me req/s, 3 instances (PostgreSQL + Redis)",
    rate(threeRate),
    times(threeRate / oneRate),
  ]);
  const at = (p: number) =>
    delays[Math.min(delays.length - 1, Math.ceil((p / 100) * delays.length) - 1)] ?? Number.NaN;
  notes.push(
    `Revocation propagation over Redis (logout on A → B refuses), ${delays.length} sessions: ` +
      `p50 ${ms(at(50))} ms, p99 ${ms(at(99))} ms, max ${ms(delays.at(-1) ?? Number.NaN)} ms (contract: 1 s).`,
  );
  return {
    title: "Scale-out: PostgreSQL + Redis, three instances",
    table: table(["measurement", "rate", "ratio"], rows),
    checks: [],
    notes,
    runs: options.rounds * 4,
    disturbed: 0,
  };
}
