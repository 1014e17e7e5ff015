/**
 * SIGTERM on the real server process (`src/main.ts` in a Node process of its own) loses no request that was
 * accepted: under a storm of logins from keep-alive clients, every request either gets its normal
 * answer or is refused before it starts (connection refused, or 503) — none is cut mid-way, and
 * every login the server completed (its `login.succeeded` event is in the database) reached its
 * client. The process then flushes what it buffered (API key `lastUsedAt`, the access log) and
 * exits 0 well within PORTCULLIS_SHUTDOWN_TIMEOUT. A request that outlives the timeout is cut and
 * the process still exits promptly; a second signal exits at once, non-zero.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openSqlDatabase } from "../../src/store/sql/database.js";
import { keepAliveAgent, send, startRequestInFlight, type Target } from "../support/keep-alive-client.js";
import { findFreePort, type NodeProcess, SERVER_ENTRY, spawnTypeScript } from "../support/node-process.js";
import { STRONG_PASSWORD, TEST_SECRET } from "../support/test-app.js";
import {
  createPostgresSchema,
  REDIS_TEST_URL,
  TEST_STORE,
  uniqueRedisPrefix,
} from "../support/test-stores.js";

const START_TIMEOUT_MS = 30_000;
const CLIENTS = 12;
/** Logins answered before the signal: every keep-alive connection has carried a few by then. */
const LOGINS_BEFORE_SIGNAL = CLIENTS * 3;

let children: NodeProcess[] = [];
let folders: string[] = [];

afterEach(async () => {
  await Promise.all(children.map((child) => child.kill()));
  children = [];
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  folders = [];
});

interface Started {
  server: NodeProcess;
  target: Target;
  databaseUrl: string;
}

/** The server on a free port, over its own SQLite file (or PostgreSQL schema and Redis prefix). */
async function start(env: Record<string, string>): Promise<Started> {
  const cwd = mkdtempSync(join(tmpdir(), "portcullis-shutdown-"));
  folders.push(cwd);
  const databaseUrl =
    TEST_STORE === "postgres" ? (await createPostgresSchema()).url : `sqlite:${join(cwd, "portcullis.db")}`;
  const port = await findFreePort();
  const server = spawnTypeScript(SERVER_ENTRY, [], {
    cwd,
    env: {
      PORT: String(port),
      HOST: "127.0.0.1",
      DATABASE_URL: databaseUrl,
      ...(TEST_STORE === "postgres"
        ? { REDIS_URL: REDIS_TEST_URL, PORTCULLIS_REDIS_PREFIX: uniqueRedisPrefix() }
        : {}),
      PORTCULLIS_DATA_DIR: cwd,
      PORTCULLIS_SECRET: TEST_SECRET,
      PORTCULLIS_LOGIN_RATE_LIMIT: "off",
      PORTCULLIS_RATE_LIMIT: "off",
      ...env,
    },
  });
  children.push(server);
  await server.waitForOutput("stdout", /listening/i, START_TIMEOUT_MS);
  return { server, target: { port }, databaseUrl };
}

/** Stdout is a pipe: JSON lines. */
function logLines(server: NodeProcess): Record<string, unknown>[] {
  return server
    .stdout()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

type Outcome = { startedAt: number; endedAt: number; reusedSocket: boolean } & (
  | { status: number; accessToken: unknown }
  | { error: string }
);

const refusedBeforeStart = (outcome: Outcome) =>
  "error" in outcome ? outcome.error === "ECONNREFUSED" : outcome.status === 503;

describe("shutdown › SIGTERM under load", () => {
  it("answers or refuses every login of a keep-alive storm, none cut, flushes what it buffered, and exits 0 within the timeout", async () => {
    const timeoutMs = 10_000;
    const { server, target, databaseUrl } = await start({
      PORTCULLIS_SHUTDOWN_TIMEOUT: `${timeoutMs / 1000}s`,
    });
    const setup = keepAliveAgent(1);
    const email = `storm-${process.pid}@example.com`;
    const credentials = { email, password: STRONG_PASSWORD };
    expect(
      (await send(target, setup, { method: "POST", path: "/v1/auth/register", json: credentials })).status,
    ).toBe(201);
    const signedIn = await send(target, setup, { method: "POST", path: "/v1/auth/login", json: credentials });
    expect(signedIn.status, signedIn.body).toBe(200);
    const { accessToken } = JSON.parse(signedIn.body) as { accessToken: string };
    const created = await send(target, setup, {
      method: "POST",
      path: "/v1/api-keys",
      json: { name: "storm" },
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(created.status, created.body).toBe(201);
    const { apiKey, key } = JSON.parse(created.body) as { apiKey: { id: string }; key: string };

    const agent = keepAliveAgent(CLIENTS);
    const outcomes: Outcome[] = [];
    let warmedUp: () => void = () => {};
    const enoughBeforeSignal = new Promise<void>((resolve) => {
      warmedUp = resolve;
    });
    const client = async () => {
      for (;;) {
        const startedAt = performance.now();
        try {
          const answer = await send(target, agent, {
            method: "POST",
            path: "/v1/auth/login",
            json: credentials,
          });
          const accessToken =
            answer.status === 200
              ? (JSON.parse(answer.body) as { accessToken?: unknown }).accessToken
              : undefined;
          outcomes.push({
            startedAt,
            endedAt: performance.now(),
            reusedSocket: answer.reusedSocket,
            status: answer.status,
            accessToken,
          });
          if (outcomes.length === LOGINS_BEFORE_SIGNAL) warmedUp();
          if (answer.status !== 200) return;
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? String(error);
          outcomes.push({ startedAt, endedAt: performance.now(), reusedSocket: false, error: code });
          return;
        }
      }
    };
    const storm = Promise.all(Array.from({ length: CLIENTS }, client));
    await enoughBeforeSignal;
    // Used just now: its lastUsedAt waits in memory for the next flush (every 15 s) — or the shutdown.
    expect(
      (await send(target, setup, { method: "GET", path: "/v1/me", headers: { "x-api-key": key } })).status,
    ).toBe(200);

    const signalledAt = performance.now();
    server.child.kill("SIGTERM");
    await storm;
    const exit = await server.waitForExit(timeoutMs + 5_000);
    const exitedAt = performance.now();

    expect(exit).toEqual({ code: 0, signal: null });
    expect(exitedAt - signalledAt).toBeLessThan(timeoutMs);
    // Answered with its normal answer, or refused before it started: nothing else.
    expect(
      outcomes.filter(
        (outcome) => !refusedBeforeStart(outcome) && !("status" in outcome && outcome.status === 200),
      ),
    ).toEqual([]);
    const answered = outcomes.filter((outcome) => "status" in outcome && outcome.status === 200);
    for (const outcome of answered)
      expect("accessToken" in outcome && typeof outcome.accessToken).toBe("string");
    // The storm did cross the signal: logins in flight when it came were answered after it.
    expect(
      answered.filter((outcome) => outcome.startedAt < signalledAt && outcome.endedAt > signalledAt).length,
    ).toBeGreaterThan(0);
    expect(answered.some((outcome) => outcome.reusedSocket)).toBe(true);
    // Every client ended refused: the server stopped taking work rather than the client giving up.
    expect(outcomes.filter(refusedBeforeStart)).toHaveLength(CLIENTS);

    const database = await openSqlDatabase(databaseUrl);
    try {
      // Every login the server completed reached its client: none was done and then cut.
      const succeeded = await database.db
        .selectFrom("audit_events")
        .select((eb) => eb.fn.countAll().as("count"))
        .where("type", "=", "login.succeeded")
        .executeTakeFirstOrThrow();
      expect(Number(succeeded.count)).toBe(answered.length + 1);
      const stored = await database.db
        .selectFrom("api_keys")
        .select("last_used_at")
        .where("id", "=", apiKey.id)
        .executeTakeFirstOrThrow();
      expect(stored.last_used_at).not.toBeNull();
    } finally {
      await database.close();
    }
    const loginLines = logLines(server).filter(
      (line) => line.msg === "request completed" && line.route === "/v1/auth/login" && line.status === 200,
    );
    expect(loginLines).toHaveLength(answered.length + 1);
  }, 90_000);
});

describe("shutdown › keep-alive connections", () => {
  it("answers twenty logins in flight when SIGTERM comes and exits 0 promptly although their clients keep the connections open", async () => {
    const timeoutMs = 10_000;
    const { server, target } = await start({ PORTCULLIS_SHUTDOWN_TIMEOUT: `${timeoutMs / 1000}s` });
    const credentials = { email: `twenty-${process.pid}@example.com`, password: STRONG_PASSWORD };
    const agent = keepAliveAgent(20);
    expect(
      (await send(target, agent, { method: "POST", path: "/v1/auth/register", json: credentials })).status,
    ).toBe(201);
    // Twenty open connections, as a load balancer keeps them.
    await Promise.all(
      Array.from({ length: 20 }, () => send(target, agent, { method: "GET", path: "/healthz" })),
    );

    const logins = Array.from({ length: 20 }, () =>
      send(target, agent, { method: "POST", path: "/v1/auth/login", json: credentials }),
    );
    const signalledAt = performance.now();
    server.child.kill("SIGTERM");
    const answers = await Promise.all(logins);
    // Before Fastify's 72-second keep-alive timeout could have closed the connections.
    const exit = await server.waitForExit(timeoutMs + 5_000);

    expect(exit).toEqual({ code: 0, signal: null });
    expect(performance.now() - signalledAt).toBeLessThan(timeoutMs);
    expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
    expect(answers.every((answer) => answer.reusedSocket && answer.headers.connection === "close")).toBe(
      true,
    );
  }, 60_000);
});

describe("shutdown › past the timeout", () => {
  it("cuts a request that outlives PORTCULLIS_SHUTDOWN_TIMEOUT and still exits 0 promptly, saying what it cut", async () => {
    const timeoutMs = 2_000;
    const { server, target } = await start({ PORTCULLIS_SHUTDOWN_TIMEOUT: `${timeoutMs / 1000}s` });
    const agent = keepAliveAgent(1);
    // The connection is the server's before the signal: the held request goes over it.
    expect((await send(target, agent, { method: "GET", path: "/healthz" })).status).toBe(200);
    const held = startRequestInFlight(target, agent, "/v1/auth/login", {
      email: "a@example.com",
      password: "x",
    });

    const signalledAt = performance.now();
    server.child.kill("SIGTERM");
    const exit = await server.waitForExit(timeoutMs + 10_000);
    const elapsed = performance.now() - signalledAt;

    expect(exit).toEqual({ code: 0, signal: null });
    await expect(held.answer).rejects.toMatchObject({ code: "ECONNRESET" });
    expect(elapsed).toBeGreaterThanOrEqual(timeoutMs - 100);
    expect(elapsed).toBeLessThan(timeoutMs + 5_000);
    expect(logLines(server)).toContainEqual(
      expect.objectContaining({ connections: 1, msg: expect.stringContaining("shutdown timeout reached") }),
    );
  }, 60_000);

  it("exits at once with 128 + the signal's number on a second signal", async () => {
    const { server, target } = await start({ PORTCULLIS_SHUTDOWN_TIMEOUT: "60s" });
    const agent = keepAliveAgent(1);
    expect((await send(target, agent, { method: "GET", path: "/healthz" })).status).toBe(200);
    const held = startRequestInFlight(target, agent, "/v1/auth/login", {
      email: "a@example.com",
      password: "x",
    });

    server.child.kill("SIGTERM");
    await server.waitForOutput("stdout", /SIGTERM received, closing/, 10_000);
    const insistedAt = performance.now();
    server.child.kill("SIGINT");
    const exit = await server.waitForExit(10_000);

    // SIGINT is 2: the shell's convention for "stopped by SIGINT" is 130.
    expect(exit).toEqual({ code: 130, signal: null });
    expect(performance.now() - insistedAt).toBeLessThan(5_000);
    expect(server.stdout()).toContain("SIGINT received again, exiting at once");
    await expect(held.answer).rejects.toThrow();
  }, 60_000);
});
