// Scenario "login":
//   1. the bare hash rate: @node-rs/argon2 verify, argon2id m=19456 t=2 p=1, two in flight, in a
//      child process of its own (nothing else running);
//   2. Portcullis logins/s under a login storm (autocannon, correct passwords, pre-registered users
//      round-robin), counting only 200s; 503s (hash queue full) are reported separately;
//   3. the p99 of GET /v1/me from a low-rate probe, idle and while the storm runs.
// With several rounds, each round does 1–3 once (Portcullis restarted on the same data).
import { join } from "node:path";
import { BENCH_DIR, runToCompletion, type Target, tsArgs } from "../lib/child.js";
import { DISTURBED, ms, otherCpu, rate, ratioCheck, type TargetCheck, table, times } from "../lib/format.js";
import {
  describeStatuses,
  type LoadOptions,
  type LoadResult,
  runLoad,
  warmThenMeasure,
} from "../lib/load.js";
import { type PlainLoadOptions, runLoadInWorker } from "../lib/load-worker.js";
import { type Credentials, getStatus, login, preparePortcullis, registerUser } from "../lib/portcullis.js";
import { median, ratios } from "../lib/stats.js";
import type { BenchOptions, ScenarioReport } from "./types.js";

interface HashRate {
  verifications: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  otherCpu?: number;
}

async function bareHashRate(options: BenchOptions, round: string): Promise<HashRate> {
  process.stderr.write(
    `login${round}: bare argon2id verify, ${options.hashConcurrency} in flight: ${options.warmup} s warm-up, ${options.duration} s measured\n`,
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
    connections: options.loginConnections,
    duration: options.duration,
    headers: { "content-type": "application/json" },
    body: bodies[0] ?? "",
    setupRequest: (request) => {
      const body = bodies[next++ % bodies.length] ?? "";
      return { ...request, body };
    },
  };
}

interface Round {
  hash: HashRate;
  stormAlone: LoadResult;
  stormLogs: number;
  idle: LoadResult;
  underStorm: LoadResult;
  stormWithProbe: LoadResult;
  bothLogs: number;
}

async function portcullisRound(
  target: Target,
  users: Credentials[],
  options: BenchOptions,
  round: string,
): Promise<Omit<Round, "hash">> {
  const first = users[0];
  if (!first) throw new Error("--users must be at least 1");
  const token = await login(target.baseUrl, first);
  const check = await getStatus(`${target.baseUrl}/v1/me`, token);
  if (check.status !== 200)
    throw new Error(`GET /v1/me answered ${check.status}: ${check.text.slice(0, 300)}`);

  const storm = stormOptions(target.baseUrl, users, options);
  const probe: PlainLoadOptions = {
    url: `${target.baseUrl}/v1/me`,
    connections: options.probeConnections,
    duration: options.duration,
    overallRate: options.probeRate,
    headers: { authorization: `Bearer ${token}` },
  };
  const say = (what: string, warm: string) =>
    process.stderr.write(
      `login${round}: ${what}: ${options.warmup} s ${warm}, ${options.duration} s measured\n`,
    );

  say("storm alone", "warm-up");
  target.takeLineCount();
  const stormAlone = await warmThenMeasure(storm, options.warmup);
  const stormLogs = target.takeLineCount();

  // The probe runs in a worker thread (its own event loop), idle and during the storm alike.
  // Its warm-up also lets the logins still queued from the storm drain.
  say("GET /v1/me idle probe", "warm-up");
  await runLoadInWorker({ ...probe, duration: options.warmup });
  const idle = await runLoadInWorker(probe);

  say("GET /v1/me probe during the storm", "storm warm-up");
  await runLoad({ ...storm, duration: options.warmup });
  target.takeLineCount();
  const [underStorm, stormWithProbe] = await Promise.all([runLoadInWorker(probe), runLoad(storm)]);
  const bothLogs = target.takeLineCount();
  return { stormAlone, stormLogs, idle, underStorm, stormWithProbe, bothLogs };
}

export async function runLogin(options: BenchOptions): Promise<ScenarioReport> {
  const server = options.portcullis ? await preparePortcullis(options.server, options.verbose) : undefined;
  try {
    const users: Credentials[] = [];
    if (server) {
      const setup = await server.start();
      try {
        process.stderr.write(`login: registering ${options.users} users\n`);
        for (let i = 0; i < options.users; i++) users.push(await registerUser(setup.baseUrl, `login${i}`));
      } finally {
        await setup.stop();
      }
    }

    const rounds: Round[] = [];
    const hashes: HashRate[] = [];
    for (let r = 1; r <= options.rounds; r++) {
      const round = options.rounds > 1 ? ` (round ${r}/${options.rounds})` : "";
      const hash = await bareHashRate(options, round);
      hashes.push(hash);
      if (!server) continue;
      const target = await server.start();
      try {
        rounds.push({ hash, ...(await portcullisRound(target, users, options, round)) });
      } finally {
        await target.stop();
      }
    }

    const multi = options.rounds > 1;
    const perRound = (values: number[], format: (n: number) => string, what = "per round") =>
      multi ? `${what} ${values.map(format).join(", ")}` : "";
    const hashRates = hashes.map((h) => h.perSecond);
    const headers = [
      "measurement",
      "per s",
      "p50 ms",
      "p99 ms",
      "vs bare hash rate",
      "p99 vs idle",
      "other CPU",
      "notes",
    ];
    const rows: string[][] = [
      [
        `argon2id verify, bare (${options.hashConcurrency} in flight)`,
        rate(median(hashRates)),
        ms(median(hashes.map((h) => h.p50))),
        ms(median(hashes.map((h) => h.p99))),
        "1.00×",
        "",
        otherCpu(hashes.map((h) => h.otherCpu)),
        perRound(hashRates, rate),
      ],
    ];
    const shares: (number | undefined)[] = hashes.map((h) => h.otherCpu);
    const disturbed = () => shares.filter((x) => x !== undefined && x >= DISTURBED).length;
    const checks: TargetCheck[] = [];
    const what = multi ? `medians of ${options.rounds} rounds, ` : "";
    const title = `Login storm, argon2id m=19456 t=2 p=1 (${what}${options.loginConnections} connections, ${options.duration} s per run)`;
    if (!server) {
      return { title, table: table(headers, rows), checks, runs: shares.length, disturbed: disturbed() };
    }

    const pick = (f: (r: Round) => LoadResult) => rounds.map(f);
    const notesOf = (results: LoadResult[], logs: number[]) =>
      results
        .map((r, i) => {
          const text = [describeStatuses(r), logs[i] ? `${logs[i]} log lines` : ""]
            .filter(Boolean)
            .join(", ");
          return text && multi ? `round ${i + 1}: ${text}` : text;
        })
        .filter(Boolean);
    /** A throughput row (compared with the hash rate) or a latency row (compared with idle). */
    const row = (name: string, results: LoadResult[], idleRef: LoadResult[] | null, logs: number[] = []) => {
      shares.push(...results.map((r) => r.otherCpu));
      const perSecond = results.map((r) => r.okPerSecond);
      const p99s = results.map((r) => r.p99);
      return [
        name,
        rate(median(perSecond)),
        ms(median(results.map((r) => r.p50))),
        ms(median(p99s)),
        idleRef ? "" : times(median(ratios(perSecond, hashRates))),
        idleRef
          ? times(
              median(
                ratios(
                  p99s,
                  idleRef.map((r) => r.p99),
                ),
              ),
            )
          : "",
        otherCpu(results.map((r) => r.otherCpu)),
        [idleRef ? perRound(p99s, ms, "p99 per round") : perRound(perSecond, rate), ...notesOf(results, logs)]
          .filter(Boolean)
          .join("; "),
      ];
    };
    const stormAlone = pick((r) => r.stormAlone);
    const idle = pick((r) => r.idle);
    const underStorm = pick((r) => r.underStorm);
    const stormWithProbe = pick((r) => r.stormWithProbe);
    rows.push(
      row(
        "Portcullis POST /v1/auth/login (storm)",
        stormAlone,
        null,
        rounds.map((r) => r.stormLogs),
      ),
      row(
        `Portcullis GET /v1/me idle (${options.probeConnections} conns, ${options.probeRate}/s)`,
        idle,
        idle,
      ),
      row("Portcullis GET /v1/me during the login storm", underStorm, idle),
      row(
        "Portcullis POST /v1/auth/login (storm, with the probe)",
        stormWithProbe,
        null,
        rounds.map((r) => r.bothLogs),
      ),
    );
    const logins = stormAlone.map((r) => r.okPerSecond);
    checks.push(
      ratioCheck(
        "logins/s ≥ 85% of the bare hash rate",
        ratios(logins, hashRates),
        "≥",
        0.85,
        `${rate(median(logins))} vs ${rate(median(hashRates))} per s`,
      ),
    );
    const stormP99 = underStorm.map((r) => r.p99);
    const idleP99 = idle.map((r) => r.p99);
    checks.push(
      ratioCheck(
        "GET /v1/me p99 during the storm ≤ 1.5× idle p99",
        ratios(stormP99, idleP99),
        "≤",
        1.5,
        `${ms(median(stormP99))} vs ${ms(median(idleP99))} ms`,
      ),
    );
    return { title, table: table(headers, rows), checks, runs: shares.length, disturbed: disturbed() };
  } finally {
    server?.dispose();
  }
}
