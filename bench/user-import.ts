// `users import` throughput: writes N users as JSON Lines (default 100,000; bcrypt hashes, so
// nothing is hashed on import), imports them into a fresh SQLite file with the real CLI, then
// imports the same file again (every address already there). Prints the wall time of each
// run, users per second and the CLI's peak resident memory, which should not grow with N.
//
//   node --import tsx bench/user-import.ts [--users 100000] [--batch-size 500] [--keep]
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import bcrypt from "bcryptjs";
import { REPO_ROOT } from "./lib/child.js";

const TARGET_SECONDS = 60;
const CLI = join(REPO_ROOT, "packages/server/src/cli/main.ts");
// Loaded into the CLI's process: reports its peak resident set size on exit.
const PEAK_RSS_PROBE = `data:text/javascript,${encodeURIComponent(
  'import { writeSync } from "node:fs"; process.on("exit", () => writeSync(2, "peak-rss-kib " + process.resourceUsage().maxRSS + "\\n"));',
)}`;

const { values } = parseArgs({
  options: {
    users: { type: "string", default: "100000" },
    "batch-size": { type: "string", default: "500" },
    keep: { type: "boolean", default: false },
  },
});
const users = Number(values.users);
const batchSize = Number(values["batch-size"]);
if (!Number.isInteger(users) || users < 1) throw new Error("--users must be a positive integer");

async function writeUsers(path: string): Promise<void> {
  const hash = bcrypt.hashSync("bench-Passphrase-1", 4);
  const out = createWriteStream(path);
  for (let index = 0; index < users; index++) {
    const line = JSON.stringify({
      email: `user${index}@bench.example`,
      emailVerified: index % 2 === 0,
      name: `Bench User ${index}`,
      roles: index % 50 === 0 ? ["user", "admin"] : ["user"],
      createdAt: new Date(Date.UTC(2020, 0, 1) + index * 1000).toISOString(),
      passwordHash: hash,
    });
    if (!out.write(`${line}\n`)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
}

interface Run {
  seconds: number;
  code: number | null;
  summary: string;
  peakRssMiB: number;
}

function importOnce(file: string, env: Record<string, string>): Promise<Run> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "--import",
      PEAK_RSS_PROBE,
      CLI,
      "users",
      "import",
      file,
      "--batch-size",
      String(batchSize),
    ],
    { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      const peak = /peak-rss-kib (\d+)/.exec(stderr);
      if (code !== 0) process.stderr.write(stderr);
      resolve({
        seconds: (performance.now() - started) / 1000,
        code,
        summary: stdout.trim(),
        peakRssMiB: peak === null ? Number.NaN : Number(peak[1]) / 1024,
      });
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), "portcullis-bench-import-"));
try {
  const file = join(dir, "users.jsonl");
  await writeUsers(file);
  const env = {
    DATABASE_URL: `sqlite:${join(dir, "portcullis.db")}`,
    PORTCULLIS_DATA_DIR: dir,
    PORTCULLIS_SECRET: randomBytes(36).toString("base64url"),
    PORTCULLIS_PUBLIC_URL: "http://bench.example",
    NODE_ENV: "production",
    PORTCULLIS_MAIL_OUTBOX: join(dir, "outbox"),
  };
  const sizeMiB = statSync(file).size / 1024 / 1024;
  process.stdout.write(
    `${users.toLocaleString("en")} users, ${sizeMiB.toFixed(1)} MiB of JSON Lines, batches of ${batchSize}\n\n`,
  );
  const runs: [string, Run][] = [];
  for (const label of ["first (all new)", "second (all there)"])
    runs.push([label, await importOnce(file, env)]);
  process.stdout.write(
    "| run | exit | wall time | users/s | CLI summary | peak RSS |\n|---|---|---|---|---|---|\n",
  );
  for (const [label, run] of runs)
    process.stdout.write(
      `| ${label} | ${run.code} | ${run.seconds.toFixed(1)} s | ${Math.round(users / run.seconds).toLocaleString("en")} | \`${run.summary}\` | ${run.peakRssMiB.toFixed(0)} MiB |\n`,
    );
  const first = runs[0]?.[1];
  if (first !== undefined)
    process.stdout.write(
      `\n${first.code === 0 && first.seconds < TARGET_SECONDS ? "PASS" : "MISS"}: ${users.toLocaleString("en")} users imported in ${first.seconds.toFixed(1)} s, process start included (target: 100,000 in under ${TARGET_SECONDS} s)\n`,
    );
  if (values.keep) process.stdout.write(`\nkept ${dir}\n`);
} finally {
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
}
