// Scenario "scale-out": what PostgreSQL, Redis and several instances cost and give.
//   (refresh-token rotations on SQLite and on PostgreSQL + Redis: scenario "refresh")
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
  const me: Record<string, number[]> = { one: [], three: [] };
  let delays: number[] = [];

  for (let round = 0; round < options.rounds; round++) {
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

  const oneRate = median(me.one ?? []);
  const threeRate = median(me.three ?? []);
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
    runs: options.rounds * 2,
    disturbed: 0,
  };
}
