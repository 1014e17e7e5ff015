// The soak: `npm run soak`. Three instances on one PostgreSQL schema and one Redis prefix, the
// mixed storm (packages/server/test/support/mixed-storm.ts) first unpaced for a short while to
// measure capacity, then at half of it for SOAK_MINUTES (default 10). It reports the 5xx count,
// each instance's RSS and the p99 latency in the first and the last minute, and the revocation
// propagation delay (logout on one instance, time until the others refuse the access token)
// sampled every few seconds throughout, as a markdown table.
//
// Settings (environment): SOAK_MINUTES (10; fractions allowed for a quick try), SOAK_USERS
// (virtual users, 32), SOAK_CAPACITY_SECONDS (20), SOAK_SETTLE_SECONDS (20: at the soak's pace
// before the first minute, so the queue built while measuring capacity drains first),
// SOAK_PROBE_EVERY_MS (3000), SOAK_SERVER (the entry point, default
// packages/server/dist/main.js; a .ts file runs through tsx), SOAK_REPORT (also write the report
// to this file), BENCH_POSTGRES_URL, BENCH_REDIS_URL.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { join, resolve } from "node:path";
import {
  type StormSample,
  type StormTarget,
  startStorm,
} from "../packages/server/test/support/mixed-storm.js";
import {
  freePort,
  installExitHandlers,
  killAllNow,
  makeTmpDir,
  REPO_ROOT,
  removeTmpDir,
  sleep,
  startTarget,
  type Target,
  tsArgs,
} from "./lib/child.js";
import { cpuSnapshot, otherCpuShare } from "./lib/cpu.js";
import { ms, table } from "./lib/format.js";
import { percentile } from "./lib/load.js";
import { DEFAULT_SERVER, randomPassword } from "./lib/portcullis.js";
import { createSharedStores } from "./lib/stores.js";

const INSTANCES = 3;
const WARM_UP_SECONDS = 5;
/** The probe gives up on an instance that still accepts a revoked token after this long. */
const PROPAGATION_LIMIT_MS = 5_000;

function numberSetting(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min)
    throw new Error(`${name} must be a number ≥ ${min}, got ${raw}`);
  return value;
}

const minutes = numberSetting("SOAK_MINUTES", 10, 0.1);
const users = Math.round(numberSetting("SOAK_USERS", 32, 1));
const capacitySeconds = numberSetting("SOAK_CAPACITY_SECONDS", 20, 2);
const probeEveryMs = numberSetting("SOAK_PROBE_EVERY_MS", 3_000, 200);
const settleSeconds = numberSetting("SOAK_SETTLE_SECONDS", 20, 0);
const server = resolve(REPO_ROOT, process.env.SOAK_SERVER ?? DEFAULT_SERVER);
const soakMs = minutes * 60_000;
/** The first and last windows compared: a minute each, or less in a short try. */
const windowMs = Math.min(60_000, soakMs / 2);

/** Resident set size of a process, in MiB, from /proc (Linux). */
async function rssMiB(pid: number | undefined): Promise<number> {
  if (pid === undefined) return Number.NaN;
  const { readFile } = await import("node:fs/promises");
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const kib = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  return kib === undefined ? Number.NaN : Number(kib) / 1024;
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  return {
    status: response.status,
    body: (await response.json().catch(() => ({}))) as Record<string, unknown>,
  };
}

async function meStatus(base: string, accessToken: string): Promise<number> {
  const response = await fetch(`${base}/v1/me`, {
    headers: { authorization: `Bearer ${accessToken}` },
    signal: AbortSignal.timeout(15_000),
  });
  await response.arrayBuffer();
  return response.status;
}

/**
 * One revocation sample: sign in on `a`, make sure the others accept the token, sign out on `a`,
 * then ask the others until they refuse it. Milliseconds per other instance, or undefined when a
 * step was refused (the probe then counts a failure rather than a delay).
 */
async function propagationSample(
  a: Target,
  others: Target[],
  credentials: { email: string; password: string },
): Promise<number[] | undefined> {
  const login = await post(`${a.baseUrl}/v1/auth/login`, credentials);
  const accessToken = login.body.accessToken;
  if (login.status !== 200 || typeof accessToken !== "string") return undefined;
  for (const other of others) if ((await meStatus(other.baseUrl, accessToken)) !== 200) return undefined;
  const logout = await post(`${a.baseUrl}/v1/auth/logout`, {}, { authorization: `Bearer ${accessToken}` });
  if (logout.status !== 204) return undefined;
  // From the moment the logout is answered (the revocation is committed and announced) until an
  // answer refuses the token: an upper bound, since it includes that last request's own time.
  const started = performance.now();
  return Promise.all(
    others.map(async (other) => {
      for (;;) {
        const status = await meStatus(other.baseUrl, accessToken);
        const elapsed = performance.now() - started;
        if (status === 401) return elapsed;
        if (elapsed > PROPAGATION_LIMIT_MS) return Number.POSITIVE_INFINITY;
      }
    }),
  );
}

function p(sorted: number[], q: number): number {
  return percentile(Float64Array.from(sorted), q);
}

async function main(): Promise<void> {
  installExitHandlers();
  const serverArgs = server.endsWith(".ts") ? tsArgs(server) : [server];
  const stores = await createSharedStores();
  const dir = makeTmpDir("portcullis-soak-");
  const common: Record<string, string> = {
    ...stores.env,
    HOST: "127.0.0.1",
    NODE_ENV: "production",
    PORTCULLIS_SECRET: randomBytes(36).toString("base64url"),
    PORTCULLIS_PUBLIC_URL: "http://127.0.0.1",
    PORTCULLIS_LOGIN_RATE_LIMIT: "off",
    PORTCULLIS_RATE_LIMIT: "off",
    PORTCULLIS_MAIL_OUTBOX: join(dir, "outbox"),
    // From the sources, tsx must compile the pages' JSX for preact, as the server's tsconfig says.
    ...(server.endsWith(".ts")
      ? { TSX_TSCONFIG_PATH: join(REPO_ROOT, "packages/server/tsconfig.json") }
      : {}),
  };
  const instances: Target[] = [];
  try {
    for (let i = 0; i < INSTANCES; i++) {
      const port = await freePort();
      instances.push(
        await startTarget({
          name: `soak-${String.fromCharCode(65 + i)}`,
          args: serverArgs,
          port,
          readyTries: 600,
          env: { ...common, PORT: String(port) },
        }),
      );
    }
    const targets: StormTarget[] = instances.map((instance) => ({
      name: instance.name,
      url: instance.baseUrl,
    }));
    const log = (line: string) => process.stderr.write(`soak: ${line}\n`);

    // Phase 1: warm-up, then capacity (every request as fast as answers come).
    let phase: "warm" | "capacity" | "settle" | "soak" = "warm";
    let capacityAnswers = 0;
    let soakStart = 0;
    const first: number[] = [];
    const last: number[] = [];
    /** Every bearer GET /v1/me of the soak: the scale for the propagation delays. */
    const reads: number[] = [];
    let soakAnswers = 0;
    const statusesDuringSoak = new Map<number, number>();
    const onSample = (sample: StormSample) => {
      if (phase === "capacity") {
        if (sample.status !== 0) capacityAnswers += 1;
        return;
      }
      if (phase !== "soak" || sample.startedAt < soakStart) return;
      soakAnswers += 1;
      if (sample.act === "me" && sample.status === 200) reads.push(sample.ms);
      statusesDuringSoak.set(sample.status, (statusesDuringSoak.get(sample.status) ?? 0) + 1);
      const at = sample.startedAt - soakStart;
      if (at < windowMs) first.push(sample.ms);
      else if (at >= soakMs - windowMs && at < soakMs) last.push(sample.ms);
    };
    const storm = startStorm({
      targets: () => targets,
      users,
      label: "soak",
      password: randomPassword(),
      onSample,
    });
    log(`${INSTANCES} instances up; warming up ${WARM_UP_SECONDS} s with ${users} users`);
    await sleep(WARM_UP_SECONDS * 1_000);
    phase = "capacity";
    const capacityCpu = cpuSnapshot();
    const capacityStarted = performance.now();
    await sleep(capacitySeconds * 1_000);
    const capacity = capacityAnswers / ((performance.now() - capacityStarted) / 1_000);
    const capacityOtherCpu = otherCpuShare(capacityCpu, cpuSnapshot());
    const rate = capacity / 2;
    log(`capacity ${capacity.toFixed(0)} req/s; soaking ${minutes} min at ${rate.toFixed(0)} req/s`);

    // Phase 2: the soak, at half of capacity, with the revocation probe alongside.
    // The requests queued at full load drain before the first minute is measured.
    storm.setRate(rate);
    phase = "settle";
    await sleep(settleSeconds * 1_000);
    phase = "soak";
    soakStart = performance.now();
    const soakCpu = cpuSnapshot();
    const rssFirst: number[] = [];
    const rssLast: number[] = [];
    const delays: number[] = [];
    let probeFailures = 0;
    const probeUser = {
      email: `soak-probe-${randomBytes(4).toString("hex")}@storm.test`,
      password: randomPassword(),
    };
    const registered = await post(`${targets[0]?.url}/v1/auth/register`, probeUser);
    if (registered.status !== 201) throw new Error(`the probe's registration answered ${registered.status}`);

    const rssTimer = (at: number, into: number[]) =>
      sleep(Math.max(0, soakStart + at - performance.now())).then(async () => {
        for (const instance of instances) into.push(await rssMiB(instance.child.pid));
      });
    const rssFirstTaken = rssTimer(windowMs, rssFirst);
    const rssLastTaken = rssTimer(soakMs - 1_000, rssLast);

    let round = 0;
    while (performance.now() - soakStart < soakMs) {
      const probeStarted = performance.now();
      const a = instances[round % INSTANCES] as Target;
      const others = instances.filter((instance) => instance !== a);
      round += 1;
      const sample = await propagationSample(a, others, probeUser).catch(() => undefined);
      if (sample === undefined || sample.some((delay) => !Number.isFinite(delay))) probeFailures += 1;
      else delays.push(...sample);
      const minuteMark = Math.floor((performance.now() - soakStart) / 60_000);
      if (round % 20 === 0)
        log(`minute ${minuteMark}: ${soakAnswers} answers, ${storm.serverErrors.length} × 5xx`);
      await sleep(Math.max(0, probeEveryMs - (performance.now() - probeStarted)));
    }
    await Promise.all([rssFirstTaken, rssLastTaken]);
    const soakOtherCpu = otherCpuShare(soakCpu, cpuSnapshot());
    const soakSeconds = (performance.now() - soakStart) / 1_000;
    await storm.stop();

    first.sort((x, y) => x - y);
    last.sort((x, y) => x - y);
    delays.sort((x, y) => x - y);
    reads.sort((x, y) => x - y);
    const serverErrors = storm.serverErrors.length;
    const noAnswer = storm.statuses.get(0) ?? 0;
    const firstLabel = windowMs === 60_000 ? "minute 1" : `first ${(windowMs / 1_000).toFixed(0)} s`;
    const lastLabel =
      windowMs === 60_000 ? `minute ${Math.ceil(minutes)}` : `last ${(windowMs / 1_000).toFixed(0)} s`;
    const change = (a: number, b: number) =>
      Number.isFinite(a) && Number.isFinite(b) && a > 0 ? `${(b / a).toFixed(2)}×` : "–";
    const rows: string[][] = [
      ["p50 latency, ms", ms(p(first, 50)), ms(p(last, 50)), change(p(first, 50), p(last, 50))],
      ["p99 latency, ms", ms(p(first, 99)), ms(p(last, 99)), change(p(first, 99), p(last, 99))],
      [
        "requests/s",
        (first.length / (windowMs / 1_000)).toFixed(0),
        (last.length / (windowMs / 1_000)).toFixed(0),
        change(first.length, last.length),
      ],
      ...instances.map((instance, i) => [
        `RSS of ${instance.name}, MiB`,
        (rssFirst[i] ?? Number.NaN).toFixed(0),
        (rssLast[i] ?? Number.NaN).toFixed(0),
        change(rssFirst[i] ?? Number.NaN, rssLast[i] ?? Number.NaN),
      ]),
    ];
    const statusList = [...statusesDuringSoak]
      .sort(([x], [y]) => x - y)
      .map(([status, count]) => `${count} × ${status === 0 ? "no answer" : status}`)
      .join(", ");
    const share = (value: number | undefined) => (value === undefined ? "?" : `${Math.round(value * 100)}%`);
    const report = [
      `## Soak, ${new Date().toISOString().slice(0, 10)}: ${INSTANCES} instances, PostgreSQL + Redis, ${minutes} min`,
      "",
      table(["measurement", firstLabel, lastLabel, "change"], rows),
      "",
      `- 5xx answers: ${serverErrors} over the whole run (target 0); no answer: ${noAnswer}.`,
      `- Capacity (mixed storm, ${users} users, unpaced, ${capacitySeconds} s): ${capacity.toFixed(0)} req/s; soak at ${rate.toFixed(0)} req/s, ${(soakAnswers / soakSeconds).toFixed(0)} req/s achieved.`,
      `- Answers during the soak: ${statusList}.`,
      `- Revocation propagation (from a logout's answer on one instance until each of the two others has answered a refusal of the token), ${delays.length} samples every ${(probeEveryMs / 1_000).toFixed(0)} s: p50 ${ms(p(delays, 50))} ms, p99 ${ms(p(delays, 99))} ms, max ${ms(delays.at(-1) ?? Number.NaN)} ms; ${probeFailures} probes failed. For scale, one bearer GET /v1/me took p50 ${ms(p(reads, 50))} ms, p99 ${ms(p(reads, 99))} ms during the soak.`,
      `- Accounts ${storm.ledger.registered.size}, sessions ${storm.ledger.opened.length}, refresh rotations ${storm.ledger.rotated.length}.`,
      `- Machine: ${availableParallelism()} cores shared with the load generator and other work; other processes' CPU share ${share(capacityOtherCpu)} while measuring capacity, ${share(soakOtherCpu)} during the soak; load average at the end ${loadavg()
        .map((value) => value.toFixed(1))
        .join(" ")}.`,
      ...(serverErrors === 0
        ? []
        : [
            `- 5xx seen: ${storm.serverErrors
              .slice(0, 10)
              .map((sample) => `${sample.act} on ${sample.target}: ${sample.status} ${sample.code ?? ""}`)
              .join("; ")}`,
          ]),
    ].join("\n");
    process.stdout.write(`${report}\n`);
    const file = process.env.SOAK_REPORT;
    if (file !== undefined && file !== "") writeFileSync(file, `${report}\n`);
    if (serverErrors > 0) process.exitCode = 1;
  } finally {
    await Promise.all(instances.map((instance) => instance.stop()));
    await stores.drop();
    removeTmpDir(dir);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `soak failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  killAllNow();
  process.exit(1);
});
