/**
 * `portcullis backup` copies a SQLite database while a real server process writes to it: the copy
 * is consistent (SQLite's `quick_check` passes), holds every account registered before it began,
 * and a server started on it after `restore` signs those accounts in. `restore` never replaces a
 * database a running server holds — not even with `--force` — nor an existing one without
 * `--force` (the other refusals: src/store/sql/sqlite-backup.test.ts). On PostgreSQL both
 * commands refuse and name pg_dump and pg_restore.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from "vitest";
import SQLite from "../../src/store/sql/sqlite-driver.js";
import {
  CLI_ENTRY,
  findFreePort,
  type NodeProcess,
  runTypeScript,
  SERVER_ENTRY,
  spawnTypeScript,
} from "../support/node-process.js";
import { PUBLIC_URL, STRONG_PASSWORD, TEST_SECRET } from "../support/test-app.js";

// Each CLI run starts Node and imports the whole server: a second or more on a loaded machine.
const CLI_TIMEOUT_MS = 180_000;
const START_TIMEOUT_MS = 90_000;
const TEST_TIMEOUT_MS = 600_000;

let dir: string;
let env: Record<string, string>;
let servers: NodeProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "portcullis-backup-"));
  env = {
    DATABASE_URL: `sqlite:${join(dir, "portcullis.db")}`,
    PORTCULLIS_DATA_DIR: dir,
    PORTCULLIS_SECRET: TEST_SECRET,
    PORTCULLIS_PUBLIC_URL: PUBLIC_URL,
    PORTCULLIS_RATE_LIMIT: "off",
  };
});

afterEach(async () => {
  await Promise.all(servers.map((server) => server.kill()));
  servers = [];
  rmSync(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) =>
  runTypeScript(CLI_ENTRY, args, { cwd: dir, env, timeoutMs: CLI_TIMEOUT_MS });

async function startServer(): Promise<{ server: NodeProcess; baseUrl: string }> {
  const port = await findFreePort();
  const server = spawnTypeScript(SERVER_ENTRY, [], { cwd: dir, env: { ...env, PORT: String(port) } });
  servers.push(server);
  await server.waitForOutput("stdout", /listening/i, START_TIMEOUT_MS);
  return { server, baseUrl: `http://127.0.0.1:${port}` };
}

async function stopServer(server: NodeProcess): Promise<void> {
  server.child.kill("SIGTERM");
  expect((await server.waitForExit(START_TIMEOUT_MS)).code).toBe(0);
}

async function register(baseUrl: string, email: string): Promise<void> {
  const response = await fetch(`${baseUrl}/v1/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: STRONG_PASSWORD }),
  });
  expect(response.status, await response.clone().text()).toBe(201);
}

async function loginStatus(baseUrl: string, email: string): Promise<number> {
  const response = await fetch(`${baseUrl}/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: STRONG_PASSWORD }),
  });
  return response.status;
}

function emailsIn(path: string): string[] {
  const database = new SQLite(path, { readonly: true, fileMustExist: true });
  try {
    expect(database.pragma("quick_check", { simple: true })).toBe("ok");
    return database.prepare("select email from users").pluck().all() as string[];
  } finally {
    database.close();
  }
}

describe("cli › backup while a server serves, then restore", () => {
  it(
    "copies a consistent database during a stream of writes, and a server started on the restored copy signs its users in",
    async () => {
      const { server, baseUrl } = await startServer();
      const before = ["first@example.com", "second@example.com"];
      for (const email of before) await register(baseUrl, email);

      // Registrations keep committing while the backup runs.
      let writing = true;
      let written = 0;
      const writer = (async () => {
        while (writing) {
          await register(baseUrl, `during-${written}@example.com`);
          written++;
        }
      })().then(
        () => null,
        (error: unknown) => error,
      );
      // Stop the loop if the test fails before it does.
      onTestFinished(() => {
        writing = false;
      });
      // A folder that does not exist yet is created, owner-only.
      const flatBackup = join(dir, "backups", "portcullis-backup.db");
      const backedUp = await cli("backup", flatBackup, "--json");
      writing = false;
      expect(await writer).toBeNull();

      expect(backedUp.code, backedUp.stderr).toBe(0);
      const report = JSON.parse(backedUp.stdout) as {
        ok: boolean;
        file: string;
        bytes: number;
        migrations: string[];
      };
      expect(report).toMatchObject({ ok: true, file: flatBackup });
      expect(report.bytes).toBe(statSync(flatBackup).size);
      expect(report.migrations.length).toBeGreaterThan(0);
      expect(statSync(flatBackup).mode & 0o077).toBe(0);
      expect(statSync(join(dir, "backups")).mode & 0o077).toBe(0);
      // Nothing is left under a temporary name.
      expect(readdirSync(join(dir, "backups"))).toEqual(["portcullis-backup.db"]);
      expect(written).toBeGreaterThan(0);
      const copied = emailsIn(flatBackup);
      expect(copied).toEqual(expect.arrayContaining(before));

      // A second backup to the same file needs --force.
      const again = await cli("backup", flatBackup);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain("--force");

      // While the server holds the database, restore refuses, --force or not.
      const whileServing = await cli("restore", flatBackup, "--force", "--json");
      expect(whileServing.code).toBe(1);
      expect(JSON.parse(whileServing.stdout)).toMatchObject({ ok: false, code: "target_in_use" });

      // Accounts written after the backup are gone once it is restored.
      await register(baseUrl, "after@example.com");
      await stopServer(server);

      const withoutForce = await cli("restore", flatBackup);
      expect(withoutForce.code).toBe(1);
      expect(withoutForce.stderr).toContain("--force");

      const restored = await cli("restore", flatBackup, "--force", "--json");
      expect(restored.code, restored.stderr).toBe(0);
      const restoreReport = JSON.parse(restored.stdout) as { previous: string; pending: string[] };
      expect(restoreReport.pending).toEqual([]);
      expect(emailsIn(restoreReport.previous)).toContain("after@example.com");
      expect(emailsIn(join(dir, "portcullis.db")).sort()).toEqual([...copied].sort());

      const { baseUrl: restoredUrl } = await startServer();
      for (const email of before) expect(await loginStatus(restoredUrl, email)).toBe(200);
      expect(await loginStatus(restoredUrl, "after@example.com")).toBe(401);
    },
    TEST_TIMEOUT_MS,
  );
});

describe("cli › backup and restore on PostgreSQL", () => {
  it(
    "names pg_dump and pg_restore when DATABASE_URL is PostgreSQL, and touches nothing",
    async () => {
      env = { ...env, DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" };

      for (const command of ["backup", "restore"]) {
        const refused = await cli(command, join(dir, "x.db"), "--json");
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain(command === "backup" ? "pg_dump" : "pg_restore");
        expect(JSON.parse(refused.stdout)).toMatchObject({ ok: false, code: "unsupported" });
      }
      expect(existsSync(join(dir, "x.db"))).toBe(false);
    },
    TEST_TIMEOUT_MS,
  );
});
