// Scenario "refresh": refresh-token rotations per second, one instance on SQLite and one on
// PostgreSQL + Redis, each with its defaults. `connections` concurrent chains, each presenting the
// token the previous rotation issued, so every request is a real rotation (compare-and-swap,
// successor, access token). Needs PostgreSQL and Redis (lib/stores.ts), so it runs only when named.
import { randomBytes } from "node:crypto";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { freePort, makeTmpDir, removeTmpDir, startTarget, type Target } from "../lib/child.js";
import { commandTicks, cpuSnapshot, otherCpuShare } from "../lib/cpu.js";
import { DISTURBED, otherCpu, rate, type TargetCheck, table } from "../lib/format.js";
import { loginTokens, registerUser } from "../lib/portcullis.js";
import { median } from "../lib/stats.js";
import { createSharedStores, type SharedStores } from "../lib/stores.js";
import type { BenchOptions, ScenarioReport } from "./types.js";

/** Targets from the performance issue: Keycloak publishes about 120 refreshes/s per vCPU. */
const TARGETS = { sqlite: 3_000, postgres: 1_500 } as const;
type Store = keyof typeof TARGETS;
const LABEL: Record<Store, string> = { sqlite: "SQLite", postgres: "PostgreSQL + Redis" };

async function startInstance(options: BenchOptions, store: Store) {
  const dir = makeTmpDir("portcullis-bench-refresh-");
  const env: Record<string, string> = {
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
    Object.assign(env, stores.env);
  } else {
    env.DATABASE_URL = `sqlite:${join(dir, "bench.db")}`;
  }
  const port = await freePort();
  let target: Target | undefined;
  const stop = async () => {
    await target?.stop();
    await stores?.drop();
    removeTmpDir(dir);
  };
  try {
    target = await startTarget({
      name: `portcullis-${store}`,
      args: [options.server],
      port,
      verbose: options.verbose,
      readyTries: 600,
      env: { ...env, PORT: String(port) },
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { target, stop };
}

/** POST /v1/auth/refresh over a keep-alive agent (cheaper for the load generator than fetch). */
function postRefresh(agent: Agent, target: Target, refreshToken: string): Promise<string> {
  const body = JSON.stringify({ refreshToken });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: "127.0.0.1",
        port: target.port,
        method: "POST",
        path: "/v1/auth/refresh",
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        timeout: 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const next = res.statusCode === 200 ? (JSON.parse(text) as { refreshToken?: unknown }) : {};
          if (typeof next.refreshToken !== "string") {
            reject(new Error(`POST /v1/auth/refresh answered ${res.statusCode}: ${text.slice(0, 300)}`));
          } else resolve(next.refreshToken);
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error("POST /v1/auth/refresh timed out")));
    req.on("error", reject);
    req.end(body);
  });
}

interface RotationRun {
  perSecond: number;
  otherCpu: number | undefined;
  /** Share of the machine the PostgreSQL and Redis servers used. */
  serviceCpu: number | undefined;
}

/** Rotates `chains` chains for `warmup` s (discarded), then for `seconds`: rotations per second. */
async function measureRotations(target: Target, options: BenchOptions, store: Store): Promise<RotationRun> {
  const creds = await registerUser(target.baseUrl, "refresh");
  const tokens = await Promise.all(
    Array.from(
      { length: options.connections },
      async () => (await loginTokens(target.baseUrl, creds)).refreshToken,
    ),
  );
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const services = store === "postgres" ? ["postgres", "redis-server"] : [];
  try {
    const rotateFor = async (seconds: number) => {
      let rotations = 0;
      const deadline = performance.now() + seconds * 1000;
      await Promise.all(
        tokens.map(async (_, i) => {
          while (performance.now() < deadline) {
            tokens[i] = await postRefresh(agent, target, tokens[i] as string);
            rotations++;
          }
        }),
      );
      return rotations;
    };
    await rotateFor(options.warmup);
    const before = { cpu: cpuSnapshot(), ticks: commandTicks(services), at: performance.now() };
    const rotations = await rotateFor(options.duration);
    const after = { cpu: cpuSnapshot(), ticks: commandTicks(services), at: performance.now() };
    const share = otherCpuShare(before.cpu, after.cpu);
    const machineTicks = before.cpu && after.cpu ? after.cpu.total - before.cpu.total : Number.NaN;
    const serviceCpu = services.length > 0 ? (after.ticks - before.ticks) / machineTicks : undefined;
    return {
      perSecond: rotations / ((after.at - before.at) / 1000),
      otherCpu: share === undefined ? undefined : Math.max(0, share - (serviceCpu ?? 0)),
      serviceCpu: Number.isFinite(serviceCpu) ? serviceCpu : undefined,
    };
  } finally {
    agent.destroy();
  }
}

export async function runRefresh(options: BenchOptions): Promise<ScenarioReport> {
  const runs: Record<Store, RotationRun[]> = { sqlite: [], postgres: [] };
  for (let round = 0; round < options.rounds; round++) {
    for (const store of ["sqlite", "postgres"] as const) {
      const instance = await startInstance(options, store);
      try {
        runs[store].push(await measureRotations(instance.target, options, store));
      } finally {
        await instance.stop();
      }
    }
  }
  const rows: string[][] = [];
  const checks: TargetCheck[] = [];
  for (const store of ["sqlite", "postgres"] as const) {
    const rates = runs[store].map((run) => run.perSecond);
    const m = median(rates);
    rows.push([
      `refresh rotations/s, ${LABEL[store]} (1 instance)`,
      rate(m),
      rates.map((r) => rate(r)).join(", "),
      otherCpu(runs[store].map((run) => run.otherCpu)),
      store === "postgres" ? otherCpu(runs[store].map((run) => run.serviceCpu)) : "",
    ]);
    checks.push({
      label: `refresh rotations/s on ${LABEL[store]} ≥ ${rate(TARGETS[store])}`,
      pass: Number.isFinite(m) && m >= TARGETS[store],
      detail: `${rate(m)}/s (median; per round ${rates.map((r) => rate(r)).join(", ")})`,
    });
  }
  const all = [...runs.sqlite, ...runs.postgres];
  return {
    title: "Refresh-token rotations",
    table: table(["measurement", "rotations/s", "per round", "other CPU", "its Redis/PG CPU"], rows),
    checks,
    notes: [
      `${options.connections} concurrent chains; each request rotates the token the previous one issued.`,
    ],
    runs: all.length,
    disturbed: all.filter((run) => run.otherCpu !== undefined && run.otherCpu >= DISTURBED).length,
  };
}
