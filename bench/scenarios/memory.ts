// Scenario "memory": the server's resident memory (RSS, from /proc/<pid>/status) at idle, with
// 100,000 live sessions, and after 100,000 distinct access tokens were each presented once, on
// SQLite with the default configuration; then the same with PORTCULLIS_CACHE_ENTRIES raised to
// 100,000 (a named, non-default row), which shows what the bound of the in-process caches saves.
//
// The sessions are cookie sessions cloned in SQL from one real cookie login (a fresh id and the
// SHA-256 of a fresh cookie value each), since 100,000 logins would take 100,000 argon2id hashes
// (some 15 minutes on 2 cores). The tokens are real: one login per chain, then refreshes.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { join } from "node:path";
import Database from "better-sqlite3";
import { makeTmpDir, removeTmpDir, sleep, type Target } from "../lib/child.js";
import { cpuSnapshot, otherCpuShare } from "../lib/cpu.js";
import { DISTURBED, otherCpu, table } from "../lib/format.js";
import { type Credentials, preparePortcullis, randomPassword } from "../lib/portcullis.js";
import type { BenchOptions, ScenarioReport } from "./types.js";

const SESSIONS = 100_000;
const TOKENS = 100_000;
/** Long enough for the lazy work after a burst (GC, buffers given back) to settle. */
const SETTLE_MS = 3_000;
/** Few logins (each a hash), many refreshes (none). */
const MINT_CHAINS = 8;
const BIG_CACHE: Record<string, string> = { PORTCULLIS_CACHE_ENTRIES: String(TOKENS) };

function rssMiB(target: Target): number {
  const status = readFileSync(`/proc/${target.child.pid}/status`, "utf8");
  const kib = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmRSS for ${target.name}`);
  return Number(kib) / 1024;
}

interface Reply {
  status: number;
  json: Record<string, unknown>;
  setCookie: string[];
}

/**
 * One request on a keep-alive agent. Timeouts are long: a sign-in hashes on threads of lowered
 * priority, which a busy machine starves.
 */
function send(
  agent: Agent,
  target: Target,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<Reply> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const all: Record<string, string | number> = { ...headers };
  if (payload !== undefined) {
    all["content-type"] = "application/json";
    all["content-length"] = Buffer.byteLength(payload);
  }
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: "127.0.0.1", port: target.port, method, path, headers: all, timeout: 120_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = text === "" ? {} : JSON.parse(text);
          } catch {
            json = {};
          }
          resolve({
            status: res.statusCode ?? 0,
            json: json !== null && typeof json === "object" ? (json as Record<string, unknown>) : {},
            setCookie: res.headers["set-cookie"] ?? [],
          });
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on("error", reject);
    req.end(payload);
  });
}

async function get(agent: Agent, target: Target, headers: Record<string, string>): Promise<number> {
  return (await send(agent, target, "GET", "/v1/me", headers)).status;
}

/** `count` distinct access tokens: `chains` logins, then refreshes (earlier tokens stay valid). */
async function mintTokens(target: Target, creds: Credentials, count: number, chains: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: chains });
  const tokens: string[] = [];
  const chain = async () => {
    const login = await send(agent, target, "POST", "/v1/auth/login", {}, creds);
    let { accessToken, refreshToken } = login.json;
    while (typeof accessToken === "string") {
      tokens.push(accessToken);
      if (tokens.length >= count) return;
      ({ accessToken, refreshToken } = (
        await send(agent, target, "POST", "/v1/auth/refresh", {}, { refreshToken })
      ).json);
    }
    throw new Error("a login or refresh answered without tokens");
  };
  try {
    await Promise.all(Array.from({ length: chains }, chain));
  } finally {
    agent.destroy();
  }
  return tokens.slice(0, count);
}

/** GET /v1/me once with each credential, `concurrency` at a time; throws unless every one is a 200. */
async function presentEach(target: Target, headers: Record<string, string>[], concurrency: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  let refused = 0;
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < headers.length) {
          const status = await get(agent, target, headers[next++] as Record<string, string>);
          if (status !== 200) refused++;
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  if (refused > 0) throw new Error(`${refused} of ${headers.length} credentials were refused`);
}

/** 100,000 copies of one real cookie session, each with its own id and cookie; their cookie values. */
function cloneCookieSessions(dbFile: string, count: number): string[] {
  const db = new Database(dbFile);
  try {
    const template = db.prepare("select * from sessions where transport = 'cookie' limit 1").get() as
      | Record<string, unknown>
      | undefined;
    if (template === undefined) throw new Error("no cookie session to clone");
    const columns = Object.keys(template);
    const insert = db.prepare(
      `insert into sessions (${columns.join(", ")}) values (${columns.map((c) => `@${c}`).join(", ")})`,
    );
    const cookies: string[] = [];
    db.transaction(() => {
      for (let i = 0; i < count; i++) {
        const cookie = randomBytes(32).toString("base64url");
        cookies.push(cookie);
        insert.run({
          ...template,
          id: randomUUID(),
          token_hash: createHash("sha256").update(cookie).digest("hex"),
        });
      }
    })();
    return cookies;
  } finally {
    db.close();
  }
}

/** A user with one real cookie session, the template of the clones. */
async function registerAndSignIn(target: Target): Promise<Credentials> {
  const agent = new Agent({ keepAlive: true });
  try {
    const email = `memory-${randomBytes(4).toString("hex")}@bench.example`;
    const creds = { email, password: randomPassword() };
    const registered = await send(agent, target, "POST", "/v1/auth/register", {}, creds);
    if (registered.status !== 201) throw new Error(`register answered ${registered.status}`);
    const login = await send(agent, target, "POST", "/v1/auth/login", {}, { ...creds, transport: "cookie" });
    if (login.status !== 200 || !login.setCookie.some((c) => c.startsWith("pc_session="))) {
      throw new Error(`cookie login answered ${login.status}`);
    }
    return creds;
  } finally {
    agent.destroy();
  }
}

interface Row {
  label: string;
  rssMiB: number;
  otherCpu: number | undefined;
}

export async function runMemory(options: BenchOptions): Promise<ScenarioReport> {
  const dir = makeTmpDir("portcullis-bench-memory-");
  const dbFile = join(dir, "memory.db");
  const pc = await preparePortcullis(options.server, options.verbose, { DATABASE_URL: `sqlite:${dbFile}` });
  const rows: Row[] = [];
  const concurrency = options.connections;
  let target: Target | undefined;
  const measure = async (label: string) => {
    const before = cpuSnapshot();
    await sleep(SETTLE_MS);
    if (target === undefined) throw new Error("no server running");
    rows.push({ label, rssMiB: rssMiB(target), otherCpu: otherCpuShare(before, cpuSnapshot()) });
    process.stderr.write(`memory: ${label}: ${rows.at(-1)?.rssMiB.toFixed(0)} MiB\n`);
  };
  const restart = async (env?: Record<string, string>) => {
    await target?.stop();
    target = await pc.start(env);
    return target;
  };
  try {
    let server = await restart();
    await measure("idle, just started (empty database)");
    const creds = await registerAndSignIn(server);
    const tokens = await mintTokens(server, creds, TOKENS, MINT_CHAINS);
    await target?.stop();
    target = undefined;
    const cookies = cloneCookieSessions(dbFile, SESSIONS);
    const cookieHeaders = cookies.map((cookie) => ({ cookie: `pc_session=${cookie}` }));
    const bearerHeaders = tokens.map((token) => ({ authorization: `Bearer ${token}` }));

    for (const [name, env] of [
      ["defaults", undefined],
      [`PORTCULLIS_CACHE_ENTRIES=${TOKENS}`, BIG_CACHE],
    ] as const) {
      server = await restart(env);
      await measure(`${name}: idle, ${SESSIONS.toLocaleString("en-US")} live sessions in the database`);
      await presentEach(server, cookieHeaders, concurrency);
      await measure(`${name}: each of ${SESSIONS.toLocaleString("en-US")} cookie sessions used once`);
      server = await restart(env);
      await presentEach(server, bearerHeaders, concurrency);
      await measure(`${name}: ${TOKENS.toLocaleString("en-US")} distinct access tokens presented once`);
    }
  } finally {
    await target?.stop();
    pc.dispose();
    removeTmpDir(dir);
  }
  const idle = rows[0]?.rssMiB ?? Number.NaN;
  return {
    title: "Memory (resident set of the server, SQLite)",
    table: table(
      ["state", "RSS MiB", "vs idle", "other CPU"],
      rows.map((row) => [
        row.label,
        row.rssMiB.toFixed(0),
        `${row.rssMiB - idle >= 0 ? "+" : ""}${(row.rssMiB - idle).toFixed(0)} MiB`,
        otherCpu([row.otherCpu]),
      ]),
    ),
    checks: [],
    notes: [
      `RSS read from /proc/<pid>/status ${SETTLE_MS / 1000} s after each step; the tokens and sessions are presented ${concurrency} at a time.`,
      "Each token row starts a fresh process (so the sessions' cache does not count twice).",
    ],
    runs: rows.length,
    disturbed: rows.filter((row) => row.otherCpu !== undefined && row.otherCpu >= DISTURBED).length,
  };
}
