/**
 * The real entry point, `src/main.ts` in a Node process of its own, started as operators start it: a wrong
 * or incomplete configuration stops it before it listens, with every problem named on stderr
 * and a non-zero exit; production never starts without PORTCULLIS_SECRET; outside production a
 * secret is generated once into the data folder, announced once, and reused by later starts;
 * and SIGTERM shuts it down cleanly with exit code 0, every buffered log line written out.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { findFreePort, type NodeProcess, SERVER_ENTRY, spawnTypeScript } from "../support/node-process.js";

const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;
const GENERATED_SECRET_NOTICE = /generated/g;

let children: NodeProcess[] = [];
let folders: string[] = [];

afterEach(async () => {
  await Promise.all(children.map((child) => child.kill()));
  children = [];
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  folders = [];
});

function temporaryFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), "portcullis-process-"));
  folders.push(folder);
  return folder;
}

function launch(cwd: string, env: Record<string, string>): NodeProcess {
  const child = spawnTypeScript(SERVER_ENTRY, [], { cwd, env });
  children.push(child);
  return child;
}

/** Starts the server on a free port and waits until it says it listens. */
async function start(cwd: string, env: Record<string, string> = {}) {
  const port = await findFreePort();
  const server = launch(cwd, { PORT: String(port), ...env });
  await server.waitForOutput("stdout", /listening/i, START_TIMEOUT_MS);
  return { server, baseUrl: `http://localhost:${port}` };
}

const countMatches = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].length;

describe("server process › configuration failures", () => {
  it("refuses to start in production without PORTCULLIS_SECRET, exiting non-zero and naming it on stderr", async () => {
    const cwd = temporaryFolder();
    const server = launch(cwd, { NODE_ENV: "production", PORT: String(await findFreePort()) });

    const exit = await server.waitForExit(START_TIMEOUT_MS);

    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(server.stderr()).toContain("PORTCULLIS_SECRET");
    expect(server.stdout()).not.toMatch(/listening/i);
    // Production never falls back to a generated secret.
    expect(existsSync(join(cwd, "data", "secret"))).toBe(false);
  });

  it("names every invalid variable in one failure message when several are wrong at once", async () => {
    const cwd = temporaryFolder();
    const server = launch(cwd, {
      PORT: "not-a-port",
      PORTCULLIS_ACCESS_TOKEN_TTL: "15x",
      PORTCULLIS_LOGIN_RATE_LIMIT: "5/",
      PORTCULLIS_SIGNING_ALG: "none",
      PORTCULLIS_PUBLIC_URL: "not a url",
    });

    const exit = await server.waitForExit(START_TIMEOUT_MS);

    expect(exit.code).not.toBe(0);
    const stderr = server.stderr();
    for (const name of [
      "PORT",
      "PORTCULLIS_ACCESS_TOKEN_TTL",
      "PORTCULLIS_LOGIN_RATE_LIMIT",
      "PORTCULLIS_SIGNING_ALG",
      "PORTCULLIS_PUBLIC_URL",
    ]) {
      expect(stderr, name).toMatch(new RegExp(`^\\s*- ${name}:`, "m"));
    }
    expect(countMatches(stderr, /Invalid configuration/g)).toBe(1);
  });
});

describe("server process › development secret", () => {
  it("starts without a secret, says once that it generated one, and a restart on the same data reuses it silently", async () => {
    const cwd = temporaryFolder();

    const first = await start(cwd, { NODE_ENV: "development" });
    const ready = await fetch(`${first.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ checks: { database: { status: "ok" } } });
    const firstKids = (
      (await (await fetch(`${first.baseUrl}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }
    ).keys.map((key) => key.kid);
    expect(countMatches(first.server.stderr(), GENERATED_SECRET_NOTICE)).toBe(1);

    const secretFile = join(cwd, "data", "secret");
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
    const secret = readFileSync(secretFile, "utf8").trim();
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(first.server.stderr()).not.toContain(secret);
    expect(first.server.stdout()).not.toContain(secret);

    first.server.child.kill("SIGTERM");
    expect((await first.server.waitForExit(STOP_TIMEOUT_MS)).code).toBe(0);

    const second = await start(cwd, { NODE_ENV: "development" });
    expect((await fetch(`${second.baseUrl}/readyz`)).status).toBe(200);
    expect(countMatches(second.server.stderr(), GENERATED_SECRET_NOTICE)).toBe(0);
    expect(readFileSync(secretFile, "utf8").trim()).toBe(secret);
    // The same secret opens the signing keys the first run stored.
    const secondKids = (
      (await (await fetch(`${second.baseUrl}/.well-known/jwks.json`)).json()) as {
        keys: { kid: string }[];
      }
    ).keys.map((key) => key.kid);
    expect(secondKids).toEqual(firstKids);
  }, 60_000);
});

describe("server process › shutdown", () => {
  it("stops on SIGTERM with exit code 0 and stops listening, its last access-log lines written", async () => {
    const cwd = temporaryFolder();
    const { server, baseUrl } = await start(cwd);
    const requests = 5;
    for (let i = 0; i < requests; i++) expect((await fetch(`${baseUrl}/healthz`)).status).toBe(200);

    server.child.kill("SIGTERM");
    const exit = await server.waitForExit(STOP_TIMEOUT_MS);

    expect(exit).toEqual({ code: 0, signal: null });
    await expect(fetch(`${baseUrl}/healthz`)).rejects.toThrow();
    // Stdout is a pipe, not a terminal: JSON lines, even in development.
    const lines = server
      .stdout()
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as { msg?: string; route?: string });
    expect(
      lines.filter((line) => line.msg === "request completed" && line.route === "/healthz"),
    ).toHaveLength(requests);
    expect(lines.some((line) => line.msg === "SIGTERM received, closing")).toBe(true);
  }, 40_000);
});
