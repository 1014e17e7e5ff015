/**
 * The disk under a SQLite database fills up during a mixed storm, then space is freed. While it
 * is full, whatever must write answers 503 (the database is unavailable, try again), never a
 * 500; once space is back the same process serves writes again. Afterwards no
 * session is half-rotated, no act that answered 2xx is missing from the audit log, and the
 * audit chain verifies.
 *
 * The disk is a 64 MiB tmpfs mounted for this test, which needs root (or CAP_SYS_ADMIN): where
 * mounting is not permitted the test is not run, and says why.
 */
import { execFileSync } from "node:child_process";
import {
  closeSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Storm, startStorm } from "../support/mixed-storm.js";
import { findFreePort, type NodeProcess, SERVER_ENTRY, spawnTypeScript } from "../support/node-process.js";
import { checkLedger, NOTHING_LOST, readSqlite, verifyChain } from "../support/storm-ledger-check.js";
import { PUBLIC_URL, STRONG_PASSWORD, TEST_SECRET } from "../support/test-app.js";

/**
 * Larger than SQLite's WAL at its automatic checkpoint (10,000 pages, about 40 MB: database.ts):
 * on a disk smaller than that, the WAL alone fills it and never reaches the checkpoint that would
 * let it start over.
 */
const DISK_BYTES = 64 * 1024 * 1024;
/** Room left beside the ballast: a few dozen write transactions' worth of WAL frames. */
const ROOM_BYTES = 192 * 1024;
const WAIT_MS = 30_000;

const dir = mkdtempSync(join(tmpdir(), "portcullis-disk-full-"));
const disk = join(dir, "disk");
const database = join(disk, "portcullis.db");
const ballast = join(disk, "ballast");

/** Mounts the tmpfs; the reason when this machine does not allow it. */
function mountDisk(): string | undefined {
  mkdirSync(disk);
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${DISK_BYTES}`, "tmpfs", disk], { stdio: "pipe" });
    return undefined;
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return stderr || (error instanceof Error ? error.message : String(error));
  }
}

const mountRefused = mountDisk();
if (mountRefused !== undefined)
  console.warn(`!! cannot mount a small tmpfs here (${mountRefused}): the SQLite disk-full test is not run`);

let server: NodeProcess | undefined;
let url: string;

beforeAll(async () => {
  if (mountRefused !== undefined) return;
  const port = await findFreePort();
  server = spawnTypeScript(SERVER_ENTRY, [], {
    cwd: dir,
    env: {
      NODE_ENV: "test",
      PORT: String(port),
      DATABASE_URL: `sqlite:${database}`,
      PORTCULLIS_SECRET: TEST_SECRET,
      PORTCULLIS_PUBLIC_URL: PUBLIC_URL,
      PORTCULLIS_DATA_DIR: join(dir, "data"),
      PORTCULLIS_MAIL_OUTBOX: join(dir, "outbox"),
      PORTCULLIS_RATE_LIMIT: "off",
    },
  });
  await server.waitForOutput("stdout", /listening/i, 60_000);
  url = `http://localhost:${port}`;
}, 90_000);

afterAll(async () => {
  await server?.kill();
  if (mountRefused === undefined) execFileSync("umount", [disk]);
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Fills the disk but for `ROOM_BYTES`: first all of it (the storm writes meanwhile, so the free
 * space measured beforehand would be out of date), then the ballast gives the room back.
 */
function fillDisk(): void {
  const fd = openSync(ballast, "w");
  const chunk = Buffer.alloc(1024 * 1024);
  let written = 0;
  try {
    for (;;) {
      try {
        written += writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOSPC") break;
        throw error;
      }
    }
    ftruncateSync(fd, Math.max(0, written - ROOM_BYTES));
  } finally {
    closeSync(fd);
  }
}

describe.runIf(mountRefused === undefined)("the SQLite disk fills up under a mixed storm", () => {
  it("answers 503 while it is full, serves writes again once space is freed, and loses nothing", async () => {
    const storm: Storm = startStorm({
      targets: () => [{ name: "sqlite", url }],
      host: new URL(PUBLIC_URL).host,
      users: 6,
      label: "disk-full",
      password: STRONG_PASSWORD,
    });
    await storm.until(() => storm.succeeded() >= 20, WAIT_MS, "20 successes before the disk fills");
    fillDisk();
    await storm.until(() => storm.serverErrors.length >= 5, WAIT_MS, "refused writes on a full disk");
    const successesBeforeFreeing = storm.succeeded();

    unlinkSync(ballast);
    const { registered, opened, closed } = storm.ledger;
    const [accounts, signIns, signOuts] = [registered.size, opened.length, closed.size];
    await storm
      .until(
        () => registered.size >= accounts + 2 && opened.length >= signIns + 5 && closed.size >= signOuts + 5,
        WAIT_MS,
        "sign-ups, sign-ins and logouts once space is freed",
      )
      .catch((error: unknown) => {
        const log = server
          ?.stdout()
          .split("\n")
          .filter((line) => /"level":(50|40)/.test(line))
          .slice(-5);
        throw new Error(`${error instanceof Error ? error.message : String(error)}\n${log?.join("\n")}`);
      });
    await storm.stop();

    const seen = [...storm.statuses].map(([status, count]) => `${count} × ${status}`).join(", ");
    const codes = [
      ...new Set(storm.serverErrors.map((sample) => `${sample.act}: ${sample.status} ${sample.code}`)),
    ];
    console.log(
      `SQLite disk full: ${seen}; 5xx: ${codes.join(", ")}; ${successesBeforeFreeing} successes before freeing`,
    );
    expect(storm.serverErrors.filter((sample) => sample.status !== 503)).toEqual([]);
    expect(storm.serverErrors.every((sample) => sample.code === "service_unavailable")).toBe(true);

    const reader = readSqlite(database);
    try {
      const findings = await checkLedger(reader, storm.ledger);
      console.log(`SQLite disk full: checked ${JSON.stringify(findings.checked)}`);
      expect(findings).toMatchObject(NOTHING_LOST);
      expect(await verifyChain(reader)).toMatchObject({ ok: true });
    } finally {
      await reader.close();
    }
  }, 90_000);
});
