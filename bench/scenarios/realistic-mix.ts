// Scenario "realistic-mix": many signed-in users doing what users do, on SQLite and on
// PostgreSQL + Redis, each with the default configuration. 10,000 users are imported with one
// precomputed argon2id hash (the server's own parameters, so a sign-in costs what it costs in
// production and upgrades nothing), the first SIGNED_IN of them signed in (every fifth with a
// cookie session, the rest with tokens), then `connections` closed loops send a weighted mix: 90% `GET /v1/me` (bearer
// or cookie, as the user signed in), 5% refreshes, 1% logins, 4% writes (`PATCH /v1/me`, or an API
// key created or revoked). Needs PostgreSQL and Redis (lib/stores.ts), so it runs only when named.
//
// Simulated time: each token session refreshes every 15 minutes, so with B token sessions the
// refreshes are B / 900 per simulated second, and at 5% of the requests one request stands for
// 45 / B simulated seconds. A refresh always rotates the session whose access token is the oldest
// (a queue), which is the order in which tokens issued every 15 minutes come due.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { join } from "node:path";
import argon2 from "@node-rs/argon2";
import { makeTmpDir, removeTmpDir, type Target } from "../lib/child.js";
import { commandTicks, cpuSnapshot, otherCpuShare } from "../lib/cpu.js";
import { DISTURBED, ms, otherCpu, rate, table } from "../lib/format.js";
import { percentile } from "../lib/load.js";
import { preparePortcullis } from "../lib/portcullis.js";
import { median } from "../lib/stats.js";
import { createSharedStores, type SharedStores } from "../lib/stores.js";
import type { BenchOptions, ScenarioReport } from "./types.js";

const USERS = 10_000;
/**
 * Users signed in before the run: each sign-in is an argon2id hash (~100/s on 2 cores at best), so
 * all 10,000 would take minutes; logins during the run sign in more of them.
 */
const SIGNED_IN = 1_000;
/** Every fifth user signs in with a cookie session, the others with tokens. */
const COOKIE_EVERY = 5;
const REFRESH_INTERVAL_S = 15 * 60;
/** Shares of the mix, in per mille: reads, refreshes, logins, writes. */
const MIX = { read: 900, refresh: 50, login: 10, write: 40 } as const;

type Store = "sqlite" | "postgres";
const LABEL: Record<Store, string> = { sqlite: "SQLite", postgres: "PostgreSQL + Redis" };
const KINDS = ["read (bearer)", "read (cookie)", "refresh", "login", "write"] as const;
type Kind = (typeof KINDS)[number];

interface SignedIn {
  email: string;
  /** Token sessions. */
  accessToken?: string;
  refreshToken?: string;
  /** Cookie sessions: the `pc_session` value. */
  cookie?: string;
  /** An API key this user created and has not revoked yet. */
  apiKeyId?: string | undefined;
}

interface Reply {
  status: number;
  text: string;
  setCookie: string[];
}

function send(
  agent: Agent,
  target: Target,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<Reply> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const allHeaders: Record<string, string | number> = { ...headers };
  if (payload !== undefined) {
    allHeaders["content-type"] = "application/json";
    allHeaders["content-length"] = Buffer.byteLength(payload);
  }
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: "127.0.0.1", port: target.port, method, path, headers: allHeaders, timeout: 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString("utf8"),
            setCookie: res.headers["set-cookie"] ?? [],
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on("error", reject);
    req.end(payload);
  });
}

function expect(reply: Reply, status: number, what: string): Record<string, unknown> {
  if (reply.status !== status) {
    throw new Error(`${what} answered ${reply.status}, expected ${status}: ${reply.text.slice(0, 300)}`);
  }
  if (reply.text === "") return {};
  const json: unknown = JSON.parse(reply.text);
  return json !== null && typeof json === "object" ? (json as Record<string, unknown>) : {};
}

function tokensOf(
  body: Record<string, unknown>,
  what: string,
): { accessToken: string; refreshToken: string } {
  const { accessToken, refreshToken } = body;
  if (typeof accessToken !== "string" || typeof refreshToken !== "string") {
    throw new Error(`${what} answered without tokens`);
  }
  return { accessToken, refreshToken };
}

function sessionCookie(reply: Reply): string {
  for (const header of reply.setCookie) {
    const match = /^pc_session=([^;]+)/.exec(header);
    if (match?.[1] !== undefined) return match[1];
  }
  throw new Error("a cookie login set no pc_session cookie");
}

async function signIn(agent: Agent, target: Target, user: SignedIn, password: string, cookie: boolean) {
  const body = { email: user.email, password, ...(cookie ? { transport: "cookie" } : {}) };
  const reply = await send(agent, target, "POST", "/v1/auth/login", {}, body);
  const json = expect(reply, 200, "POST /v1/auth/login");
  if (cookie) user.cookie = sessionCookie(reply);
  else Object.assign(user, tokensOf(json, "POST /v1/auth/login"));
}

/** Writes the users as JSON Lines with one argon2id hash of `password` (the server's parameters). */
async function writeUserFile(path: string, password: string): Promise<string[]> {
  // argon2id is the default algorithm (its const enum cannot be named under isolatedModules).
  const hash = await argon2.hash(password, {
    memoryCost: 19456,
    timeCost: 2,
    parallelism: 1,
  });
  const tag = randomBytes(3).toString("hex");
  const emails = Array.from({ length: USERS }, (_, i) => `mix-${tag}-${i}@bench.example`);
  const lines = emails.map((email, i) =>
    JSON.stringify({ email, emailVerified: true, name: `Mix User ${i}`, passwordHash: hash }),
  );
  writeFileSync(path, `${lines.join("\n")}\n`);
  return emails;
}

interface MixRun {
  seconds: number;
  latencies: Record<Kind, number[]>;
  failures: Record<Kind, number>;
  firstFailure: string | undefined;
  otherCpu: number | undefined;
  serviceCpu: number | undefined;
}

/** The closed loops of the mix for `seconds`; every request's latency by kind. */
async function runMix(
  agent: Agent,
  target: Target,
  pools: { users: SignedIn[]; everyone: SignedIn[]; refreshQueue: SignedIn[] },
  password: string,
  connections: number,
  seconds: number,
  services: string[],
): Promise<MixRun> {
  const latencies = Object.fromEntries(KINDS.map((k) => [k, [] as number[]])) as Record<Kind, number[]>;
  const failures = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
  let firstFailure: string | undefined;
  const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)] as T;
  const { users, everyone, refreshQueue } = pools;
  const tokenUsers = users.filter((u) => u.cookie === undefined);
  let writes = 0;

  async function one(): Promise<void> {
    const roll = Math.random() * 1000;
    let kind: Kind;
    let action: () => Promise<void>;
    if (roll < MIX.read) {
      const user = pick(users);
      kind = user.cookie === undefined ? "read (bearer)" : "read (cookie)";
      const auth: Record<string, string> =
        user.cookie === undefined
          ? { authorization: `Bearer ${user.accessToken}` }
          : { cookie: `pc_session=${user.cookie}` };
      action = async () => {
        expect(await send(agent, target, "GET", "/v1/me", auth), 200, "GET /v1/me");
      };
    } else if (roll < MIX.read + MIX.refresh) {
      kind = "refresh";
      // The oldest token comes due first; it is out of the queue while its rotation is in flight.
      const user = refreshQueue.shift();
      if (user === undefined) return;
      action = async () => {
        try {
          const reply = await send(
            agent,
            target,
            "POST",
            "/v1/auth/refresh",
            {},
            {
              refreshToken: user.refreshToken,
            },
          );
          Object.assign(user, tokensOf(expect(reply, 200, "POST /v1/auth/refresh"), "POST /v1/auth/refresh"));
        } finally {
          refreshQueue.push(user);
        }
      };
    } else if (roll < MIX.read + MIX.refresh + MIX.login) {
      kind = "login";
      // Any user signs in (again: a new device, a lost token); one not signed in yet joins the mix.
      const user = pick(everyone);
      action = async () => {
        const reply = await send(
          agent,
          target,
          "POST",
          "/v1/auth/login",
          {},
          { email: user.email, password },
        );
        const fresh = tokensOf(expect(reply, 200, "POST /v1/auth/login"), "POST /v1/auth/login");
        if (user.accessToken === undefined && user.cookie === undefined) {
          Object.assign(user, fresh);
          users.push(user);
          tokenUsers.push(user);
          refreshQueue.push(user);
        } else if (user.cookie === undefined && refreshQueue.includes(user)) Object.assign(user, fresh);
      };
    } else {
      kind = "write";
      const user = pick(tokenUsers);
      const auth = { authorization: `Bearer ${user.accessToken}` };
      const turn = writes++ % 4;
      action = async () => {
        if (turn < 3) {
          const name = `Mix ${randomBytes(4).toString("hex")}`;
          expect(await send(agent, target, "PATCH", "/v1/me", auth, { name }), 200, "PATCH /v1/me");
        } else if (user.apiKeyId === undefined) {
          const body = expect(
            await send(agent, target, "POST", "/v1/api-keys", auth, { name: "mix" }),
            201,
            "POST /v1/api-keys",
          );
          const apiKey = body.apiKey as { id?: unknown } | undefined;
          if (typeof apiKey?.id === "string") user.apiKeyId = apiKey.id;
        } else {
          const id = user.apiKeyId;
          user.apiKeyId = undefined;
          expect(
            await send(agent, target, "DELETE", `/v1/api-keys/${id}`, auth),
            204,
            "DELETE /v1/api-keys/:id",
          );
        }
      };
    }
    const started = performance.now();
    try {
      await action();
      latencies[kind].push(performance.now() - started);
    } catch (error) {
      failures[kind]++;
      firstFailure ??= error instanceof Error ? error.message : String(error);
    }
  }

  const before = { cpu: cpuSnapshot(), ticks: commandTicks(services), at: performance.now() };
  const deadline = before.at + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) await one();
    }),
  );
  const after = { cpu: cpuSnapshot(), ticks: commandTicks(services), at: performance.now() };
  const share = otherCpuShare(before.cpu, after.cpu);
  const machineTicks = before.cpu && after.cpu ? after.cpu.total - before.cpu.total : Number.NaN;
  const serviceCpu = services.length > 0 ? (after.ticks - before.ticks) / machineTicks : undefined;
  return {
    seconds: (after.at - before.at) / 1000,
    latencies,
    failures,
    firstFailure,
    otherCpu: share === undefined ? undefined : Math.max(0, share - (serviceCpu ?? 0)),
    serviceCpu: Number.isFinite(serviceCpu) ? serviceCpu : undefined,
  };
}

interface StoreResult {
  runs: MixRun[];
  seedSeconds: number;
  tokenSessions: number;
}

async function measureStore(options: BenchOptions, store: Store): Promise<StoreResult> {
  const stores: SharedStores | undefined = store === "postgres" ? await createSharedStores() : undefined;
  const dir = makeTmpDir("portcullis-bench-mix-");
  const pc = await preparePortcullis(options.server, options.verbose, stores?.env ?? {});
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const services = store === "postgres" ? ["postgres", "redis-server"] : [];
  const runs: MixRun[] = [];
  try {
    const password = randomBytes(15).toString("base64url");
    const file = join(dir, "users.jsonl");
    const emails = await writeUserFile(file, password);
    const seedStarted = performance.now();
    let target = await pc.start();
    try {
      await pc.cli(["users", "import", file]);
      const everyone: SignedIn[] = emails.map((email) => ({ email }));
      const users = everyone.slice(0, SIGNED_IN);
      // `connections` sign-ins at a time (the hash rate bounds this: ~100/s on 2 cores).
      let next = 0;
      await Promise.all(
        Array.from({ length: options.connections }, async () => {
          while (next < users.length) {
            const i = next++;
            await signIn(agent, target, users[i] as SignedIn, password, i % COOKIE_EVERY === 0);
          }
        }),
      );
      const seedSeconds = (performance.now() - seedStarted) / 1000;
      process.stderr.write(
        `realistic-mix ${store}: ${USERS} users imported, ${SIGNED_IN} signed in, in ${seedSeconds.toFixed(0)} s\n`,
      );
      const refreshQueue = users.filter((u) => u.cookie === undefined);
      const tokenSessions = refreshQueue.length;
      for (let round = 0; round < options.rounds; round++) {
        if (round > 0) {
          // A fresh process each round, as every other scenario measures; the data stays.
          await target.stop();
          target = await pc.start();
        }
        const mix = (seconds: number) =>
          runMix(
            agent,
            target,
            { users, everyone, refreshQueue },
            password,
            options.connections,
            seconds,
            services,
          );
        if (options.warmup > 0) await mix(options.warmup);
        runs.push(await mix(options.duration));
      }
      return { runs, seedSeconds, tokenSessions };
    } finally {
      await target.stop();
    }
  } finally {
    agent.destroy();
    pc.dispose();
    removeTmpDir(dir);
    await stores?.drop();
  }
}

export async function runRealisticMix(options: BenchOptions): Promise<ScenarioReport> {
  const rows: string[][] = [];
  const notes: string[] = [];
  const all: MixRun[] = [];
  for (const store of ["sqlite", "postgres"] as const) {
    const { runs, seedSeconds, tokenSessions } = await measureStore(options, store);
    all.push(...runs);
    const perRound = runs.map((run) => {
      const ok = KINDS.reduce((n, k) => n + run.latencies[k].length, 0);
      return ok / run.seconds;
    });
    rows.push([
      `${LABEL[store]}: all`,
      rate(median(perRound)),
      "100%",
      ...latencyCells(runs.flatMap((run) => KINDS.flatMap((k) => run.latencies[k]))),
      String(runs.reduce((n, run) => n + KINDS.reduce((m, k) => m + run.failures[k], 0), 0)),
      otherCpu(runs.map((run) => run.otherCpu)),
      store === "postgres" ? otherCpu(runs.map((run) => run.serviceCpu)) : "",
    ]);
    const total = runs.reduce((n, run) => n + KINDS.reduce((m, k) => m + run.latencies[k].length, 0), 0);
    for (const kind of KINDS) {
      const samples = runs.flatMap((run) => run.latencies[kind]);
      rows.push([
        `${LABEL[store]}: ${kind}`,
        rate(median(runs.map((run) => run.latencies[kind].length / run.seconds))),
        `${((samples.length / total) * 100).toFixed(1)}%`,
        ...latencyCells(samples),
        String(runs.reduce((n, run) => n + run.failures[kind], 0)),
        "",
        "",
      ]);
    }
    const requests = median(runs.map((run) => KINDS.reduce((n, k) => n + run.latencies[k].length, 0)));
    const simulatedSeconds = (requests * 45) / tokenSessions;
    notes.push(
      `${LABEL[store]}: ${USERS.toLocaleString("en-US")} users imported and ${SIGNED_IN.toLocaleString("en-US")} signed in in ${seedSeconds.toFixed(0)} s ` +
        `(${tokenSessions.toLocaleString("en-US")} token sessions, ${(SIGNED_IN - tokenSessions).toLocaleString("en-US")} cookie sessions; logins during the run add token sessions); ` +
        `a measured run of ${rate(requests)} requests stands for ${(simulatedSeconds / 60).toFixed(1)} simulated minutes ` +
        `(every token refreshed each ${REFRESH_INTERVAL_S / 60} minutes).`,
    );
    const failure = runs.find((run) => run.firstFailure !== undefined)?.firstFailure;
    if (failure !== undefined) notes.push(`${LABEL[store]}: first failure: ${failure}`);
  }
  notes.push(
    `${options.connections} closed loops; latencies are those of the successful requests, pooled over the rounds; ` +
      "req/s is the median of the rounds. Writes: 3 in 4 PATCH /v1/me, the rest an API key created or revoked.",
  );
  return {
    title: "Realistic mix (10,000 users: 90% reads, 5% refreshes, 1% logins, 4% writes)",
    table: table(
      ["operation", "req/s", "share", "p50 ms", "p99 ms", "failed", "other CPU", "its Redis/PG CPU"],
      rows,
    ),
    checks: [],
    notes,
    runs: all.length,
    disturbed: all.filter((run) => run.otherCpu !== undefined && run.otherCpu >= DISTURBED).length,
  };
}

function latencyCells(samples: number[]): [string, string] {
  const sorted = Float64Array.from(samples).sort();
  return [ms(percentile(sorted, 50)), ms(percentile(sorted, 99))];
}
