// Portcullis benchmarks: `npm run bench [-- options]`. See bench/README.md.
import { readFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { parseArgs } from "node:util";
import { installExitHandlers, killAllNow, sleep } from "./lib/child.js";
import { targetLine } from "./lib/format.js";
import { DEFAULT_SERVER } from "./lib/portcullis.js";
import { runLogin } from "./scenarios/login.js";
import { runMe } from "./scenarios/me.js";
import type { BenchOptions, ScenarioReport } from "./scenarios/types.js";

const USAGE = `usage: npm run bench -- [options]
  --duration <s>          seconds of each measured run (default 10)
  --connections <n>       connections of each full-load run (default 32)
  --warmup <s>            seconds of warm-up before each measured run (default 2)
  --only me|login         run one scenario
  --no-portcullis         baselines only (scenario "me" with a self-signed ES256 token;
                          scenario "login" with the bare hash rate only)
  --server <path>         the server entry point (default packages/server/dist/main.js)
  --users <n>             users the login storm cycles through (default 8)
  --probe-rate <n>        req/s of the GET /v1/me latency probe (default 200)
  --probe-connections <n> connections of the probe (default 4)
  --strict                exit with status 1 when a target is missed
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

function parseOptions(): { options: BenchOptions; only: string | undefined; strict: boolean } {
  const { values } = parseArgs({
    options: {
      duration: { type: "string" },
      connections: { type: "string" },
      warmup: { type: "string" },
      only: { type: "string" },
      "no-portcullis": { type: "boolean", default: false },
      server: { type: "string" },
      users: { type: "string" },
      "probe-rate": { type: "string" },
      "probe-connections": { type: "string" },
      strict: { type: "boolean", default: false },
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
  if (values.only !== undefined && values.only !== "me" && values.only !== "login") {
    throw new Error(`--only must be "me" or "login", got ${JSON.stringify(values.only)}`);
  }
  const options: BenchOptions = {
    duration: intOption(values.duration, "duration", 10, 1, 600),
    warmup: intOption(values.warmup, "warmup", 2, 0, 60),
    connections: intOption(values.connections, "connections", 32, 1, 1024),
    portcullis: !values["no-portcullis"],
    server: values.server ?? DEFAULT_SERVER,
    users: intOption(values.users, "users", 8, 1, 1000),
    probeRate: intOption(values["probe-rate"], "probe-rate", 200, 1, 10_000),
    probeConnections: intOption(values["probe-connections"], "probe-connections", 4, 1, 64),
    hashConcurrency: 2,
    verbose: values.verbose,
  };
  return { options, only: values.only, strict: values.strict };
}

/** Share of CPU time spent idle over `ms` (Linux /proc/stat), to warn about a busy machine. */
async function idleShare(msWindow: number): Promise<number | undefined> {
  const read = () => {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { idle, total: fields.reduce((a, b) => a + b, 0) };
  };
  try {
    const a = read();
    await sleep(msWindow);
    const b = read();
    return (b.idle - a.idle) / (b.total - a.total);
  } catch {
    return undefined;
  }
}

function print(report: ScenarioReport): void {
  process.stdout.write(`\n### ${report.title}\n\n${report.table}\n\n`);
  for (const note of report.notes ?? []) process.stdout.write(`${note}\n`);
  for (const check of report.checks) process.stdout.write(`${targetLine(check)}\n`);
}

async function main(): Promise<number> {
  const { options, only, strict } = parseOptions();
  installExitHandlers();
  const cpuModel = cpus()[0]?.model ?? "unknown CPU";
  const idle = await idleShare(1000);
  process.stdout.write(
    `Portcullis bench: node ${process.version}, ${availableParallelism()} cores (${cpuModel}), ` +
      `${options.duration} s runs after ${options.warmup} s warm-up, ${options.connections} connections\n`,
  );
  if (idle !== undefined) {
    process.stdout.write(`CPU idle before the run: ${(idle * 100).toFixed(0)}%\n`);
    if (idle < 0.9) {
      process.stdout.write("WARNING: the machine is busy with other work; the figures below are disturbed\n");
    }
  }
  const reports: ScenarioReport[] = [];
  try {
    if (only === undefined || only === "me") {
      const report = await runMe(options);
      print(report);
      reports.push(report);
    }
    if (only === undefined || only === "login") {
      const report = await runLogin(options);
      print(report);
      reports.push(report);
    }
  } finally {
    killAllNow();
  }
  const missed = reports.flatMap((r) => r.checks).filter((c) => !c.pass).length;
  return strict && missed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    killAllNow();
    process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
