/**
 * `config show` and `doctor`, run as the real CLI process over a config file in its working
 * directory: `config show` says where each value came from and never prints a secret, from the
 * environment or the file; `doctor` names a misspelt variable with the setting it meant, checks
 * SMTP with a real EHLO (a real SMTP peer passes, a closed port fails), and exits 1 only when a
 * check failed.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CLI_ENTRY, findFreePort, runTypeScript } from "../support/node-process.js";
import { type SmtpPeer, startSmtpPeer } from "../support/smtp-peer.js";
import { PUBLIC_URL, TEST_SECRET } from "../support/test-app.js";
import {
  createPostgresSchema,
  REDIS_TEST_URL,
  TEST_STORE,
  uniqueRedisPrefix,
} from "../support/test-stores.js";

const CLI_TIMEOUT_MS = 30_000;
/** Each test runs the CLI two or three times; each start (the whole server's imports) takes a second or more on a busy machine. */
const TEST_TIMEOUT_MS = 3 * CLI_TIMEOUT_MS;
const FILE_SECRET = "fIle-5ecret-Zq8Vx2LmR7tZp4KsW9bNc3HfJ6dYg1AeUoT";
const SMTP_PASSWORD = "smtp-pa55word-never-printed";
const METRICS_TOKEN = "mEtrics-T0ken-9bNc3HfJ6dYg1AeUoTiPrXzQwEvBnMk";

interface ShownSetting {
  name: string;
  value: string | number | null;
  source: string;
}
interface DoctorReport {
  ok: boolean;
  checks: Array<{ check: string; status: string; summary: string; fix?: string }>;
}

let dir: string;
let env: Record<string, string>;
let peer: SmtpPeer | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "portcullis-cli-doctor-"));
  env = {
    DATABASE_URL: `sqlite:${join(dir, "portcullis.db")}`,
    PORTCULLIS_DATA_DIR: dir,
    PORTCULLIS_PUBLIC_URL: PUBLIC_URL,
  };
});

afterEach(async () => {
  await peer?.close();
  peer = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) =>
  runTypeScript(CLI_ENTRY, args, { cwd: dir, env, timeoutMs: CLI_TIMEOUT_MS });

const writeConfigFile = (settings: Record<string, unknown>) =>
  writeFileSync(join(dir, "portcullis.config.json"), JSON.stringify(settings));

describe("cli › config show", { timeout: TEST_TIMEOUT_MS }, () => {
  it("prints each value with its source, masking secrets from the environment and from the file", async () => {
    writeConfigFile({
      $schema: "./schema.json",
      PORT: 4100,
      PORTCULLIS_SECRET: FILE_SECRET,
      PORTCULLIS_LOG_LEVEL: "warn",
    });
    env.PORTCULLIS_LOG_LEVEL = "debug";
    env.SMTP_URL = `smtp://mailer:${SMTP_PASSWORD}@127.0.0.1:2525`;
    env.PORTCULLIS_METRICS_TOKEN = METRICS_TOKEN;

    const shown = await cli("config", "show", "--json");
    expect(shown.code, shown.stderr).toBe(0);
    const { file, settings } = JSON.parse(shown.stdout) as { file: string; settings: ShownSetting[] };
    expect(file).toBe(join(dir, "portcullis.config.json"));
    const byName = new Map(settings.map((setting) => [setting.name, setting]));
    expect(byName.get("PORT")).toEqual({ name: "PORT", value: 4100, source: "file" });
    expect(byName.get("PORTCULLIS_LOG_LEVEL")).toMatchObject({ value: "debug", source: "environment" });
    expect(byName.get("PORTCULLIS_ACCESS_TOKEN_TTL")).toMatchObject({ value: "15m", source: "default" });
    expect(byName.get("REDIS_URL")).toMatchObject({ value: null, source: "unset" });
    expect(byName.get("PORTCULLIS_SECRET")).toMatchObject({ value: "********", source: "file" });
    expect(byName.get("SMTP_URL")).toMatchObject({
      value: "smtp://mailer:********@127.0.0.1:2525",
      source: "environment",
    });

    const text = await cli("config", "show");
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^PORT\s+4100\s+\(file\)$/m);
    for (const output of [shown.stdout, shown.stderr, text.stdout, text.stderr]) {
      for (const secret of [FILE_SECRET, SMTP_PASSWORD, METRICS_TOKEN]) expect(output).not.toContain(secret);
    }
  });

  it("exits 1 naming a bad file value by file and JSON pointer, still without the secret", async () => {
    writeConfigFile({ PORT: "4100", PORTCULLIS_SECRET: "weak-file-secret" });
    const shown = await cli("config", "show");
    expect(shown.code).toBe(1);
    const path = join(dir, "portcullis.config.json");
    expect(shown.stderr).toContain(`${path}#/PORT: Expected integer`);
    expect(shown.stderr).toContain(`${path}#/PORTCULLIS_SECRET: must be at least 32 characters long`);
    expect(`${shown.stdout}${shown.stderr}`).not.toContain("weak-file-secret");
  });
});

describe("cli › doctor", { timeout: TEST_TIMEOUT_MS }, () => {
  it("names a misspelt variable with its suggestion, fails SMTP on a closed port, and exits 1", async () => {
    env.PORTCULLIS_SECRET = TEST_SECRET;
    env.PORTCULLIS_PUBLIC_ULR = "https://auth.example.com";
    env.SMTP_URL = `smtp://127.0.0.1:${await findFreePort()}`;

    const run = await cli("doctor", "--json");
    expect(run.code, run.stderr).toBe(1);
    const report = JSON.parse(run.stdout) as DoctorReport;
    expect(report.ok).toBe(false);
    expect(report.checks).toContainEqual(
      expect.objectContaining({
        check: "settings",
        status: "warning",
        summary:
          "environment variable PORTCULLIS_PUBLIC_ULR: unknown setting; did you mean PORTCULLIS_PUBLIC_URL?",
      }),
    );
    const smtp = report.checks.find((check) => check.check === "smtp");
    expect(smtp).toMatchObject({ status: "failed", summary: expect.stringContaining("ECONNREFUSED") });
    expect(smtp?.fix).toContain("SMTP_URL");
  });

  it("passes with a real EHLO and a migrated database (PostgreSQL and Redis in that run), and exits 0", async () => {
    peer = await startSmtpPeer();
    env.PORTCULLIS_SECRET = TEST_SECRET;
    env.SMTP_URL = peer.url;
    const redisPrefix = uniqueRedisPrefix();
    if (TEST_STORE === "postgres") {
      env.DATABASE_URL = (await createPostgresSchema()).url;
      env.REDIS_URL = REDIS_TEST_URL;
      env.PORTCULLIS_REDIS_PREFIX = redisPrefix;
    }
    const migrated = await cli("migrate");
    expect(migrated.code, migrated.stderr).toBe(0);

    const run = await cli("doctor");
    expect(run.code, `${run.stdout}${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`✔ passed\\s+smtp: 127\\.0\\.0\\.1:${peer.port} answered EHLO`));
    expect(run.stdout).toMatch(/✔ passed\s+migrations: current/);
    expect(run.stdout).toMatch(/✔ passed\s+signing-keys: /);
    expect(run.stdout).toMatch(/\d+ passed, \d+ warning\(s\), 0 failed/);
    if (TEST_STORE === "postgres") {
      expect(run.stdout).toMatch(/✔ passed\s+database: postgres database reachable/);
      expect(run.stdout).toMatch(/✔ passed\s+clock: this host and PostgreSQL differ by \d+ ms/);
      expect(run.stdout).toMatch(/✔ passed\s+redis: answers PONG/);
      expect(run.stdout).toContain(`bus: channel ${redisPrefix}revocations: 0 subscriber(s)`);
    } else {
      expect(run.stdout).toMatch(/✔ passed\s+database: sqlite database reachable/);
      expect(run.stdout).toMatch(/✔ passed\s+redis: not configured/);
    }
  });

  it("fails on an unknown key in the config file, naming the setting it meant", async () => {
    writeConfigFile({ PORTCULLIS_SECRET: TEST_SECRET, PORTCULLIS_ACCES_TOKEN_TTL: "5m" });
    const run = await cli("doctor", "--json");
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as DoctorReport;
    expect(report.checks).toContainEqual(
      expect.objectContaining({
        check: "settings",
        status: "failed",
        summary: `${join(dir, "portcullis.config.json")}#/PORTCULLIS_ACCES_TOKEN_TTL: unknown setting; did you mean PORTCULLIS_ACCESS_TOKEN_TTL?`,
      }),
    );
    expect(JSON.stringify(report)).not.toContain(TEST_SECRET);
  });
});
