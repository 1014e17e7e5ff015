// Scenario "login":
//   1. the bare hash rate: @node-rs/argon2 verify, argon2id m=19456 t=2 p=1, two in flight, in a
//      child process of its own (nothing else running);
//   2. Portcullis logins/s under a login storm (autocannon, correct passwords, pre-registered users
//      round-robin), counting only 200s; 503s (hash queue full) are reported separately;
//   3. the p99 of GET /v1/me from a low-rate probe, idle and while the storm runs.
import { join } from "node:path";
import { BENCH_DIR, runToCompletion, tsArgs } from "../lib/child.js";
import { atLeast, atMost, ms, rate, ratio, type TargetCheck, table } from "../lib/format.js";
import {
  describeStatuses,
  type LoadOptions,
  type LoadResult,
  runLoad,
  warmThenMeasure,
} from "../lib/load.js";
import { type Credentials, getStatus, login, registerUser, startPortcullis } from "../lib/portcullis.js";
import type { BenchOptions, ScenarioReport } from "./types.js";

interface HashRate {
  verifications: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
}

async function bareHashRate(options: BenchOptions): Promise<HashRate> {
  process.stderr.write(
    `login: bare argon2id verify, ${options.hashConcurrency} in flight: ${options.warmup} s warm-up, ${options.duration} s measured\n`,
  );
  const out = await runToCompletion(
    "argon2-verify-rate",
    tsArgs(join(BENCH_DIR, "baselines", "argon2-verify-rate.ts")),
    {
      BENCH_DURATION: String(options.duration),
      BENCH_WARMUP: String(options.warmup),
      BENCH_CONCURRENCY: String(options.hashConcurrency),
    },
    (options.warmup + options.duration + 60) * 1000,
  );
  const last = out.trim().split("\n").at(-1) ?? "";
  return JSON.parse(last) as HashRate;
}

function stormOptions(baseUrl: string, users: Credentials[], options: BenchOptions): LoadOptions {
  const bodies = users.map((u) => JSON.stringify({ email: u.email, password: u.password }));
  let next = 0;
  return {
    url: `${baseUrl}/v1/auth/login`,
    method: "POST",
    connections: options.connections,
    duration: options.duration,
    headers: { "content-type": "application/json" },
    body: bodies[0] ?? "",
    setupRequest: (request) => {
      const body = bodies[next++ % bodies.length] ?? "";
      return { ...request, body };
    },
  };
}

export async function runLogin(options: BenchOptions): Promise<ScenarioReport> {
  const hash = await bareHashRate(options);
  const headers = ["measurement", "per s", "p50 ms", "p99 ms", "vs bare hash rate", "p99 vs idle", "notes"];
  const rows: string[][] = [
    [
      `argon2id verify, bare (${options.hashConcurrency} in flight)`,
      rate(hash.perSecond),
      ms(hash.p50),
      ms(hash.p99),
      "1.00×",
      "",
      `${hash.verifications} verifications`,
    ],
  ];
  const checks: TargetCheck[] = [];
  const title = `Login storm, argon2id m=19456 t=2 p=1 (${options.connections} connections, ${options.duration} s each)`;
  if (!options.portcullis) return { title, table: table(headers, rows), checks };

  const server = await startPortcullis(options.server, options.verbose);
  try {
    process.stderr.write(`login: registering ${options.users} users\n`);
    const users: Credentials[] = [];
    for (let i = 0; i < options.users; i++) users.push(await registerUser(server.baseUrl, `login${i}`));
    const first = users[0];
    if (!first) throw new Error("--users must be at least 1");
    const token = await login(server.baseUrl, first);
    const check = await getStatus(`${server.baseUrl}/v1/me`, token);
    if (check.status !== 200)
      throw new Error(`GET /v1/me answered ${check.status}: ${check.text.slice(0, 300)}`);

    const storm = stormOptions(server.baseUrl, users, options);
    const probe: LoadOptions = {
      url: `${server.baseUrl}/v1/me`,
      connections: options.probeConnections,
      duration: options.duration,
      overallRate: options.probeRate,
      headers: { authorization: `Bearer ${token}` },
    };

    process.stderr.write(`login: storm alone: ${options.warmup} s warm-up, ${options.duration} s measured\n`);
    server.takeLineCount();
    const stormAlone = await warmThenMeasure(storm, options.warmup);
    const stormLogs = server.takeLineCount();

    process.stderr.write(
      `login: GET /v1/me idle probe: ${options.warmup} s warm-up, ${options.duration} s measured\n`,
    );
    const idle = await warmThenMeasure(probe, options.warmup);

    process.stderr.write(
      `login: GET /v1/me probe during the storm: ${options.warmup} s storm warm-up, ${options.duration} s measured\n`,
    );
    await runLoad({ ...storm, duration: options.warmup });
    server.takeLineCount();
    const [underStorm, stormWithProbe] = await Promise.all([runLoad(probe), runLoad(storm)]);
    const bothLogs = server.takeLineCount();

    const stormNotes = (r: LoadResult, logs: number) =>
      [describeStatuses(r), logs ? `${logs} log lines` : ""].filter(Boolean).join("; ");
    rows.push(
      [
        "Portcullis POST /v1/auth/login (storm)",
        rate(stormAlone.okPerSecond),
        ms(stormAlone.p50),
        ms(stormAlone.p99),
        ratio(stormAlone.okPerSecond, hash.perSecond),
        "",
        stormNotes(stormAlone, stormLogs),
      ],
      [
        `Portcullis GET /v1/me idle (${options.probeConnections} conns, ${options.probeRate}/s)`,
        rate(idle.okPerSecond),
        ms(idle.p50),
        ms(idle.p99),
        "",
        "1.00×",
        describeStatuses(idle),
      ],
      [
        "Portcullis GET /v1/me during the login storm",
        rate(underStorm.okPerSecond),
        ms(underStorm.p50),
        ms(underStorm.p99),
        "",
        ratio(underStorm.p99, idle.p99),
        describeStatuses(underStorm),
      ],
      [
        "Portcullis POST /v1/auth/login (storm, with the probe)",
        rate(stormWithProbe.okPerSecond),
        ms(stormWithProbe.p50),
        ms(stormWithProbe.p99),
        ratio(stormWithProbe.okPerSecond, hash.perSecond),
        "",
        stormNotes(stormWithProbe, bothLogs),
      ],
    );
    checks.push(atLeast("logins/s ≥ 80% of the bare hash rate", stormAlone.okPerSecond, hash.perSecond, 0.8));
    checks.push(atMost("GET /v1/me p99 during the storm ≤ 2× idle p99", underStorm.p99, idle.p99, 2));
  } finally {
    await server.dispose();
  }
  return { title, table: table(headers, rows), checks };
}
