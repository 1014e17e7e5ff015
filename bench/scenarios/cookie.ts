// Scenario "cookie": an authenticated request with a session cookie (issue 4) against
//   (a) Express 5 + express-session + connect-redis (Redis), the classic stack: GET /v1/me;
//   (b) Better Auth on SQLite (better-sqlite3): GET /api/auth/get-session;
//   (c) the same with Better Auth's `session.cookieCache`;
//   (d) Portcullis on SQLite, cookie transport: GET /v1/me;
//   (e) Portcullis on PostgreSQL + Redis, cookie transport: GET /v1/me;
// plus (d) with its access log off, the one non-default row, to show what logging costs.
// Each measurement starts its target in a fresh process, signs in, checks that the cookie
// authenticates and that no cookie or a garbled one does not, warms up, measures, checks the
// cookie again and stops the target: no two targets ever run at once. With several rounds, each
// round measures every target once, in the same order. Needs Redis (a, e) and PostgreSQL (e):
// BENCH_REDIS_URL and BENCH_POSTGRES_URL, see lib/stores.ts.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import {
  BENCH_DIR,
  freePort,
  makeTmpDir,
  removeTmpDir,
  startTarget,
  type Target,
  tsArgs,
} from "../lib/child.js";
import { commandTicks, cpuSnapshot } from "../lib/cpu.js";
import { DISTURBED, ms, otherCpu, rate, ratioCheck, type TargetCheck, table, times } from "../lib/format.js";
import { describeStatuses, type LoadResult, runLoad } from "../lib/load.js";
import {
  type Credentials,
  LOGGING_OFF,
  type Portcullis,
  preparePortcullis,
  registerUser,
} from "../lib/portcullis.js";
import { median, ratios } from "../lib/stats.js";
import { createSharedStores, deleteRedisKeys, REDIS_URL, type SharedStores } from "../lib/stores.js";
import type { BenchOptions, ScenarioReport } from "./types.js";

/** How a target says "signed in" and "not signed in". */
type Answers = "status" | "better-auth";

interface Signed {
  target: Target;
  /** The `Cookie` header that authenticates. */
  cookie: string;
  /** The same with one character of the session cookie's value changed. */
  garbled: string;
}

interface CookieTarget {
  name: string;
  path: string;
  answers: Answers;
  /** Command names of the servers it talks to (their CPU is shown apart from "other CPU"). */
  services: string[];
  /** Starts a fresh process and signs in. */
  start(label: string): Promise<Signed>;
}

interface Sample {
  result: LoadResult;
  /** Share of the machine's CPU used by the target's own Redis/PostgreSQL during the run. */
  serviceCpu: number | undefined;
  logLines: number;
}

/** `name=value` pairs of the response's Set-Cookie headers, and the value of `name`. */
function cookiesOf(res: Response, name: string): { header: string; value: string } {
  const pairs = res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0]?.trim() ?? "")
    .filter((pair) => pair.includes("=") && !pair.endsWith("="));
  const own = pairs.find((pair) => pair.startsWith(`${name}=`));
  if (own === undefined) throw new Error(`no ${name} cookie in the answer (${res.status})`);
  return { header: pairs.join("; "), value: own.slice(name.length + 1) };
}

/** One alphanumeric character from the middle of the value changed: same shape, wrong secret. */
function garble(header: string, name: string, value: string): string {
  let i = value.length >> 1;
  while (i < value.length && !/[A-Za-z0-9]/.test(value[i] ?? "")) i++;
  const changed = `${value.slice(0, i)}${value[i] === "A" ? "B" : "A"}${value.slice(i + 1)}`;
  return header.replace(`${name}=${value}`, `${name}=${changed}`);
}

async function signIn(
  url: string,
  body: unknown,
  cookieName: string,
  what: string,
  headers: Record<string, string> = {},
) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${what} answered ${res.status}: ${text.slice(0, 300)}`);
  const { header, value } = cookiesOf(res, cookieName);
  return { cookie: header, garbled: garble(header, cookieName, value) };
}

async function get(url: string, cookie: string | undefined): Promise<{ status: number; text: string }> {
  const res = await fetch(url, {
    headers: cookie === undefined ? {} : { cookie },
    signal: AbortSignal.timeout(5000),
  });
  return { status: res.status, text: await res.text() };
}

/** Better Auth's get-session answers 200 `null` without a session, 200 `{session, user}` with one. */
function signedIn(answers: Answers, r: { status: number; text: string }): boolean {
  if (answers === "status") return r.status === 200;
  return r.status === 200 && r.text.startsWith("{") && r.text.includes('"user"');
}

function refused(answers: Answers, r: { status: number; text: string }): boolean {
  if (answers === "status") return r.status === 401;
  return r.status === 401 || (r.status === 200 && r.text.trim() === "null");
}

async function sanityCheck(t: CookieTarget, s: Signed, after = false): Promise<void> {
  const url = s.target.baseUrl + t.path;
  const good = await get(url, s.cookie);
  if (!signedIn(t.answers, good)) {
    const when = after ? " after the run" : "";
    throw new Error(
      `${t.name}: GET ${t.path} with the cookie answered ${good.status}${when}: ${good.text.slice(0, 300)}`,
    );
  }
  if (after) return;
  for (const [what, cookie] of [
    ["without a cookie", undefined],
    ["with a garbled cookie", s.garbled],
  ] as const) {
    const bad = await get(url, cookie);
    if (!refused(t.answers, bad)) {
      throw new Error(`${t.name}: GET ${t.path} ${what} answered ${bad.status}: ${bad.text.slice(0, 300)}`);
    }
  }
}

async function measure(t: CookieTarget, options: BenchOptions, label: string): Promise<Sample> {
  const signed = await t.start(label);
  try {
    await sanityCheck(t, signed);
    process.stderr.write(`cookie: ${label}: ${options.warmup} s warm-up, ${options.duration} s measured\n`);
    const load = {
      url: signed.target.baseUrl + t.path,
      connections: options.connections,
      duration: options.duration,
      headers: { cookie: signed.cookie },
    };
    if (options.warmup > 0) await runLoad({ ...load, duration: options.warmup });
    signed.target.takeLineCount();
    const before = { cpu: cpuSnapshot(), ticks: commandTicks(t.services) };
    const result = await runLoad(load);
    const after = { cpu: cpuSnapshot(), ticks: commandTicks(t.services) };
    let serviceCpu: number | undefined;
    if (t.services.length > 0 && before.cpu && after.cpu && after.cpu.total > before.cpu.total) {
      serviceCpu = Math.max(0, (after.ticks - before.ticks) / (after.cpu.total - before.cpu.total));
    }
    const logLines = signed.target.takeLineCount();
    await sanityCheck(t, signed, true);
    return { result, serviceCpu, logLines };
  } finally {
    await signed.target.stop();
  }
}

/** "Other CPU" without the target's own Redis/PostgreSQL, which the bench itself keeps busy. */
function foreignCpu(x: Sample): number | undefined {
  const other = x.result.otherCpu;
  if (other === undefined) return undefined;
  return x.serviceCpu === undefined ? other : Math.max(0, other - x.serviceCpu);
}

async function startBaseline(label: string, file: string, env: Record<string, string>, verbose: boolean) {
  const port = await freePort();
  return startTarget({
    name: label,
    args: tsArgs(join(BENCH_DIR, "baselines", file)),
    port,
    verbose,
    readyTries: 600,
    env: { PORT: String(port), HOST: "127.0.0.1", NODE_ENV: "production", ...env },
  });
}

function portcullisTarget(
  name: string,
  pc: Portcullis,
  services: string[],
  env?: Record<string, string>,
): CookieTarget {
  let creds: Credentials | undefined;
  return {
    name,
    path: "/v1/me",
    answers: "status",
    services,
    async start() {
      const target = await pc.start(env);
      try {
        creds ??= await registerUser(target.baseUrl, "cookie");
        const signed = await signIn(
          `${target.baseUrl}/v1/auth/login`,
          { ...creds, transport: "cookie" },
          "pc_session",
          "POST /v1/auth/login (cookie)",
        );
        return { target, ...signed };
      } catch (error) {
        await target.stop();
        throw error;
      }
    },
  };
}

function betterAuthTarget(name: string, dir: string, cookieCache: boolean, verbose: boolean): CookieTarget {
  const env = {
    BENCH_SQLITE_FILE: join(dir, cookieCache ? "better-auth-cache.db" : "better-auth.db"),
    BENCH_SECRET: randomBytes(32).toString("base64url"),
    ...(cookieCache ? { BENCH_COOKIE_CACHE: "1" } : {}),
  };
  return {
    name,
    path: "/api/auth/get-session",
    answers: "better-auth",
    services: [],
    async start(label) {
      const target = await startBaseline(label, "better-auth-sqlite.ts", env, verbose);
      try {
        const signed = await signIn(
          `${target.baseUrl}/api/auth/sign-up/email`,
          {
            email: `bench-${randomBytes(4).toString("hex")}@example.com`,
            password: randomBytes(15).toString("base64url"),
            name: "Bench",
          },
          "better-auth.session_token",
          "POST /api/auth/sign-up/email",
          // As a browser would send it: Better Auth refuses a fetch() with Sec-Fetch-* and no Origin.
          { origin: target.baseUrl },
        );
        return { target, ...signed };
      } catch (error) {
        await target.stop();
        throw error;
      }
    },
  };
}

export async function runCookie(options: BenchOptions): Promise<ScenarioReport> {
  const notes: string[] = [];
  const dir = makeTmpDir("portcullis-bench-cookie-");
  const redisPrefix = `bench-cookie-${randomBytes(4).toString("hex")}:`;
  const disposers: (() => void | Promise<void>)[] = [
    () => removeTmpDir(dir),
    () => deleteRedisKeys(redisPrefix),
  ];
  try {
    const sessionEnv = {
      BENCH_REDIS_URL: REDIS_URL,
      BENCH_REDIS_PREFIX: redisPrefix,
      BENCH_SESSION_SECRET: randomBytes(32).toString("base64url"),
    };
    const targets: CookieTarget[] = [
      {
        name: "Express 5 + express-session + connect-redis",
        path: "/v1/me",
        answers: "status",
        services: ["redis-server"],
        async start(label) {
          const target = await startBaseline(label, "express-session-redis.ts", sessionEnv, options.verbose);
          try {
            const signed = await signIn(
              `${target.baseUrl}/v1/auth/login`,
              { email: "bench@example.com" },
              "connect.sid",
              "POST /v1/auth/login",
            );
            return { target, ...signed };
          } catch (error) {
            await target.stop();
            throw error;
          }
        },
      },
      betterAuthTarget("Better Auth get-session (SQLite)", dir, false, options.verbose),
      betterAuthTarget("Better Auth get-session, cookieCache", dir, true, options.verbose),
    ];
    /** Portcullis as users get it, and the same with logging off. */
    let loggingPair: [CookieTarget, CookieTarget] | undefined;
    if (options.portcullis) {
      const sqlite = await preparePortcullis(options.server, options.verbose);
      disposers.push(() => sqlite.dispose());
      loggingPair = [
        portcullisTarget("Portcullis cookie (SQLite)", sqlite, []),
        portcullisTarget(
          "Portcullis cookie (SQLite), non-default: PORTCULLIS_ACCESS_LOG=off",
          sqlite,
          [],
          LOGGING_OFF,
        ),
      ];
      targets.push(...loggingPair);
      const stores: SharedStores = await createSharedStores();
      disposers.push(() => stores.drop());
      const shared = await preparePortcullis(options.server, options.verbose, stores.env);
      disposers.push(() => shared.dispose());
      targets.push(
        portcullisTarget("Portcullis cookie (PostgreSQL + Redis)", shared, ["postgres", "redis-server"]),
      );
    }

    const samples = targets.map(() => [] as Sample[]);
    for (let round = 1; round <= options.rounds; round++) {
      for (const [i, t] of targets.entries()) {
        const label = options.rounds > 1 ? `${t.name}, round ${round}/${options.rounds}` : t.name;
        samples[i]?.push(await measure(t, options, label));
      }
    }

    const rps = (i: number) => (samples[i] ?? []).map((x) => x.result.okPerSecond);
    const classicRps = rps(0);
    const betterAuthRps = rps(1);
    const cachedRps = rps(2);
    const body = targets.map((t, i) => {
      const own = rps(i);
      const xs = samples[i] ?? [];
      const cellNotes = xs.map((x, r) => {
        const n = [describeStatuses(x.result), x.logLines > 0 ? `${x.logLines} log lines` : ""];
        const text = n.filter(Boolean).join(", ");
        return text && options.rounds > 1 ? `round ${r + 1}: ${text}` : text;
      });
      if (options.rounds > 1) cellNotes.unshift(`per round ${own.map((v) => rate(v)).join(", ")}`);
      return [
        `${t.name}: GET ${t.path}`,
        rate(median(own)),
        ms(median(xs.map((x) => x.result.p50))),
        ms(median(xs.map((x) => x.result.p99))),
        times(median(ratios(own, classicRps))),
        times(median(ratios(own, betterAuthRps))),
        otherCpu(xs.map(foreignCpu)),
        t.services.length > 0 ? otherCpu(xs.map((x) => x.serviceCpu)) : "",
        cellNotes.filter(Boolean).join("; "),
      ];
    });
    const shares = samples.flat().map(foreignCpu);

    const checks: TargetCheck[] = [];
    for (const [i, t] of targets.entries()) {
      // The logging-off row is there for comparison: the targets judge what users get.
      if (i < 3 || t === loggingPair?.[1]) continue;
      const own = rps(i);
      for (const [wanted, base, baseName] of [
        [3, classicRps, "express-session + connect-redis"],
        [10, betterAuthRps, "Better Auth get-session"],
        [10, cachedRps, "Better Auth get-session with cookieCache"],
      ] as const) {
        checks.push(
          ratioCheck(
            `${t.name} ≥ ${wanted}× ${baseName}`,
            ratios(own, base),
            "≥",
            wanted,
            `${rate(median(own))} vs ${rate(median(base))} req/s`,
          ),
        );
      }
    }
    if (loggingPair) {
      const own = rps(targets.indexOf(loggingPair[0]));
      const off = rps(targets.indexOf(loggingPair[1]));
      checks.push(
        ratioCheck(
          `${loggingPair[0].name} with its defaults ≥ 90% of it with logging off (PORTCULLIS_ACCESS_LOG=off)`,
          ratios(own, off),
          "≥",
          0.9,
          `${rate(median(own))} vs ${rate(median(off))} req/s`,
        ),
      );
    }
    notes.push(
      'Better Auth answers get-session with 200 `null` when there is no session: for it, "refused" in the ' +
        "sanity checks means that, and only 200s with a session were checked before and after each run.",
    );
    const what = options.rounds > 1 ? `medians of ${options.rounds} rounds, ` : "";
    return {
      title: `Cookie sessions: one authenticated GET (${what}${options.connections} connections, ${options.duration} s per run)`,
      table: table(
        [
          "target",
          "req/s (200)",
          "p50 ms",
          "p99 ms",
          "vs express-session",
          "vs Better Auth",
          "other CPU",
          "its Redis/PG CPU",
          "notes",
        ],
        body,
      ),
      checks,
      notes,
      runs: shares.length,
      disturbed: shares.filter((x) => x !== undefined && x >= DISTURBED).length,
    };
  } finally {
    for (const dispose of disposers.reverse()) {
      try {
        await dispose();
      } catch (error) {
        process.stderr.write(
          `cookie: clean-up failed: ${error instanceof Error ? error.message : String(error)}\n`,
        );
      }
    }
  }
}
