// Portcullis benchmarks: `npm run bench [-- options]`. See bench/README.md.
import { availableParallelism, cpus } from "node:os";
import { parseArgs } from "node:util";
import { installExitHandlers, killAllNow, sleep } from "./lib/child.js";
import { cpuSnapshot, otherCpuShare } from "./lib/cpu.js";
import { checkTable, targetLine } from "./lib/format.js";
import { DEFAULT_SERVER } from "./lib/portcullis.js";
import { runCookie } from "./scenarios/cookie.js";
import { runLogin } from "./scenarios/login.js";
import { runMe } from "./scenarios/me.js";
import { runMemory } from "./scenarios/memory.js";
import { runMiddleware } from "./scenarios/middleware.js";
import { runOpenIdProvider } from "./scenarios/openid-provider.js";
import { runPages } from "./scenarios/pages.js";
import { runRealisticMix } from "./scenarios/realistic-mix.js";
import { runRefresh } from "./scenarios/refresh.js";
import { runScaleOut } from "./scenarios/scale-out.js";
import type { BenchOptions, ScenarioReport } from "./scenarios/types.js";

const SCENARIOS = [
  "me",
  "login",
  "middleware",
  "scale-out",
  "cookie",
  "refresh",
  "pages",
  "openid-provider",
  "realistic-mix",
  "memory",
];

const USAGE = `usage: npm run bench -- [options]
  --duration <s>          seconds of each measured run (default 10)
  --connections <n>       connections of each full-load run (default 32)
  --login-connections <n> connections of the login storm (default: --connections)
  --rounds <n>            rounds; each measures every target once, the tables give medians (default 3)
  --warmup <s>            seconds of warm-up before each measured run (default 2)
  --only me|login|middleware|scale-out|cookie|refresh|pages|openid-provider|realistic-mix|memory
                          run one scenario; scale-out, cookie, refresh and realistic-mix (PostgreSQL
                          + Redis, BENCH_POSTGRES_URL, BENCH_REDIS_URL) and memory run only when named
  --no-portcullis         baselines only (scenario "me" with a self-signed ES256 token;
                          scenario "login" with the bare hash rate only;
                          scenario "cookie" with its three baselines)
  --server <path>         the server entry point (default packages/server/dist/main.js)
  --cold-tokens <n>       distinct tokens for the extra Portcullis run that defeats its cache of
                          verified tokens (default 11000, above the cache's 10000; 0 skips it)
  --users <n>             users the login storm cycles through (default 8)
  --probe-rate <n>        req/s of the GET /v1/me latency probe (default 200)
  --probe-connections <n> connections of the probe (default 4)
  --check                 end with a table of every target, PASS or MISS, and exit with
                          status 1 when one is missed
  --verbose               forward the children's output to stderr`;

function intOption(
  value: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

function parseOptions(): { options: BenchOptions; only: string | undefined; check: boolean } {
  const { values } = parseArgs({
    options: {
      duration: { type: "string" },
      connections: { type: "string" },
      warmup: { type: "string" },
      rounds: { type: "string" },
      "login-connections": { type: "string" },
      only: { type: "string" },
      "no-portcullis": { type: "boolean", default: false },
      server: { type: "string" },
      users: { type: "string" },
      "cold-tokens": { type: "string" },
      "probe-rate": { type: "string" },
      "probe-connections": { type: "string" },
      check: { type: "boolean", default: false },
      verbose: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (values.only !== undefined && !SCENARIOS.includes(values.only)) {
    throw new Error(`--only must be one of ${SCENARIOS.join(", ")}; got ${JSON.stringify(values.only)}`);
  }
  const connections = intOption(values.connections, "connections", 32, 1, 1024);
  const options: BenchOptions = {
    duration: intOption(values.duration, "duration", 10, 1, 600),
    warmup: intOption(values.warmup, "warmup", 2, 0, 60),
    rounds: intOption(values.rounds, "rounds", 3, 1, 20),
    connections,
    loginConnections: intOption(values["login-connections"], "login-connections", connections, 1, 1024),
    portcullis: !values["no-portcullis"],
    server: values.server ?? DEFAULT_SERVER,
    coldTokens: intOption(values["cold-tokens"], "cold-tokens", 11_000, 0, 100_000),
    users: intOption(values.users, "users", 8, 1, 1000),
    probeRate: intOption(values["probe-rate"], "probe-rate", 200, 1, 10_000),
    probeConnections: intOption(values["probe-connections"], "probe-connections", 4, 1, 64),
    hashConcurrency: 2,
    verbose: values.verbose,
  };
  return { options, only: values.only, check: values.check };
}

function print(report: ScenarioReport): void {
  process.stdout.write(`\n### ${report.title}\n\n${report.table}\n\n`);
  for (const note of report.notes ?? []) process.stdout.write(`${note}\n`);
  for (const check of report.checks) process.stdout.write(`${targetLine(check)}\n`);
}

async function main(): Promise<number> {
  const { options, only, check } = parseOptions();
  installExitHandlers();
  const cpuModel = cpus()[0]?.model ?? "unknown CPU";
  const before = cpuSnapshot();
  await sleep(1000);
  const other = otherCpuShare(before, cpuSnapshot());
  process.stdout.write(
    `Portcullis bench: node ${process.version}, ${availableParallelism()} cores (${cpuModel}), ` +
      `${options.rounds} round(s) of ${options.duration} s runs after ${options.warmup} s warm-up, ` +
      `${options.connections} connections\n`,
  );
  if (other !== undefined) {
    process.stdout.write(
      `Other processes used ${Math.round(other * 100)}% of the CPU in the second before the run\n`,
    );
    if (other >= 0.1) {
      process.stdout.write(
        "WARNING: the machine is busy with other work; the figures below will be disturbed\n",
      );
    }
  }
  // Scale-out, cookie, refresh and realistic-mix need PostgreSQL and Redis, and memory takes minutes,
  // so they run only when named.
  const scenarios: [string, (options: BenchOptions) => Promise<ScenarioReport>, boolean][] = [
    ["me", runMe, true],
    ["login", runLogin, true],
    ["pages", runPages, true],
    ["middleware", runMiddleware, true],
    ["openid-provider", runOpenIdProvider, options.portcullis],
    ["scale-out", runScaleOut, false],
    ["cookie", runCookie, false],
    ["refresh", runRefresh, false],
    ["realistic-mix", runRealisticMix, false],
    ["memory", runMemory, false],
  ];
  const reports: (ScenarioReport & { scenario: string })[] = [];
  try {
    for (const [name, run, byDefault] of scenarios) {
      if (only === undefined ? !byDefault : only !== name) continue;
      const report = await run(options);
      print(report);
      reports.push({ ...report, scenario: name });
    }
  } finally {
    killAllNow();
  }
  const runs = reports.reduce((n, r) => n + r.runs, 0);
  const disturbed = reports.reduce((n, r) => n + r.disturbed, 0);
  if (disturbed > 0) {
    process.stdout.write(
      `\nWARNING: other processes took ≥ 10% of the CPU during ${disturbed} of ${runs} measured runs ` +
        '(column "other CPU"); on 2 cores that skews the figures: rerun on a quiet machine.\n',
    );
  }
  if (!check) return 0;
  const checks = reports.flatMap((r) => r.checks.map((c) => ({ scenario: r.scenario, ...c })));
  process.stdout.write(`\n### Targets\n\n${checkTable(checks)}\n\n`);
  const missed = checks.filter((c) => !c.pass).length;
  process.stdout.write(
    missed > 0 ? `${missed} of ${checks.length} targets missed\n` : `all ${checks.length} targets met\n`,
  );
  return missed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    killAllNow();
    process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
