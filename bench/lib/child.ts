// Child processes for the bench: every target runs in its own process, started here,
// tracked in a registry, and killed in a `finally` (and on SIGINT/SIGTERM/exit).
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const BENCH_DIR = fileURLToPath(new URL("../", import.meta.url));
export const HOST = "127.0.0.1";

const live = new Set<ChildProcess>();
const tmpDirs = new Set<string>();

/** Kill every child still alive and remove the temporary folders, synchronously. */
export function killAllNow(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  live.clear();
  for (const dir of tmpDirs) rmSync(dir, { recursive: true, force: true });
  tmpDirs.clear();
}

let handlersInstalled = false;
export function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\nbench: ${signal}, stopping every child\n`);
    killAllNow();
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  process.once("exit", killAllNow);
}

export function makeTmpDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tmpDirs.add(dir);
  return dir;
}

export function removeTmpDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tmpDirs.delete(dir);
}

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("could not get a free port"));
      });
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Bytes of a child's latest output kept for error reports: some 40 lines. */
const TAIL_BYTES = 8192;

export interface Target {
  readonly name: string;
  readonly port: number;
  readonly baseUrl: string;
  readonly child: ChildProcess;
  /** The last lines the child wrote (stdout and stderr), for error reports. */
  tail(): string;
  /** Number of output lines the child wrote since the last call (e.g. log lines during a run). */
  takeLineCount(): number;
  stop(): Promise<void>;
}

export interface StartOptions {
  name: string;
  /** Arguments to `node` (script first). */
  args: string[];
  env: Record<string, string>;
  port: number;
  verbose?: boolean;
  /** Poll `GET <readyPath>` until it answers 200: at most `readyTries` tries, 100 ms apart. */
  readyPath?: string;
  readyTries?: number;
}

/** Runs a TypeScript file with tsx in a fresh `node` process. */
export function tsArgs(file: string): string[] {
  return ["--import", "tsx", file];
}

/** Where a target's stdout and stderr go, and what the bench reads back from there. */
interface TargetOutput {
  stdio: "pipe" | number;
  attach(child: ChildProcess): void;
  /** The output's last bytes. */
  tail(): Buffer;
  /** Lines written since the last call. */
  takeLineCount(): number;
  remove(): void;
}

/**
 * The default: a file, as a process manager would give it. Read by nobody while the load runs, so
 * the bench's own process (the load generator's thread) spends nothing on tens of thousands of log
 * lines a second; the server still pays for every line it writes. Lines are counted afterwards.
 */
function fileOutput(): TargetOutput {
  const dir = makeTmpDir("portcullis-bench-output-");
  const file = join(dir, "output.log");
  const fd = openSync(file, "w");
  let counted = 0;
  return {
    stdio: fd,
    attach: () => closeSync(fd),
    tail: () => {
      if (!existsSync(file)) return Buffer.alloc(0);
      const size = statSync(file).size;
      const start = Math.max(0, size - TAIL_BYTES);
      const bytes = Buffer.alloc(size - start);
      const reader = openSync(file, "r");
      try {
        readSync(reader, bytes, 0, bytes.length, start);
      } finally {
        closeSync(reader);
      }
      return bytes;
    },
    takeLineCount: () => {
      const size = statSync(file).size;
      const chunk = Buffer.alloc(1 << 20);
      let lines = 0;
      const reader = openSync(file, "r");
      try {
        for (let at = counted; at < size; ) {
          const read = readSync(reader, chunk, 0, Math.min(chunk.length, size - at), at);
          if (read === 0) break;
          for (let i = chunk.indexOf(10); i !== -1 && i < read; i = chunk.indexOf(10, i + 1)) lines++;
          at += read;
        }
      } finally {
        closeSync(reader);
      }
      counted = size;
      return lines;
    },
    remove: () => removeTmpDir(dir),
  };
}

/** With `--verbose`: piped to the bench and forwarded to its stderr, line by line. */
function forwardedOutput(name: string): TargetOutput {
  let tailBytes = Buffer.alloc(0);
  let lineCount = 0;
  const onData = (chunk: Buffer) => {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lineCount++;
    tailBytes = Buffer.concat([tailBytes, chunk.subarray(-TAIL_BYTES)]).subarray(-TAIL_BYTES);
    for (const line of chunk.toString("utf8").split("\n")) {
      if (line !== "") process.stderr.write(`[${name}] ${line}\n`);
    }
  };
  return {
    stdio: "pipe",
    attach: (child) => {
      child.stdout?.on("data", onData);
      child.stderr?.on("data", onData);
    },
    tail: () => tailBytes,
    takeLineCount: () => {
      const n = lineCount;
      lineCount = 0;
      return n;
    },
    remove: () => {},
  };
}

export async function startTarget(options: StartOptions): Promise<Target> {
  const { name, port } = options;
  const output = options.verbose ? forwardedOutput(name) : fileOutput();
  const child = spawn(process.execPath, options.args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", output.stdio, output.stdio],
  });
  output.attach(child);
  live.add(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.once("exit", () => live.delete(child));

  const baseUrl = `http://${HOST}:${port}`;
  const target: Target = {
    name,
    port,
    baseUrl,
    child,
    tail: () => output.tail().toString("utf8").split("\n").filter(Boolean).slice(-40).join("\n"),
    takeLineCount: () => output.takeLineCount(),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
      output.remove();
    },
  };

  const readyPath = options.readyPath ?? "/readyz";
  const tries = options.readyTries ?? 300;
  for (let i = 0; i < tries; i++) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `${name} exited (code ${child.exitCode}, signal ${child.signalCode}) before it was ready:\n${target.tail()}`,
      );
    }
    try {
      const res = await fetch(baseUrl + readyPath, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) {
        target.takeLineCount();
        return target;
      }
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  const tail = target.tail();
  await target.stop();
  throw new Error(`${name} was not ready after ${tries} tries of GET ${readyPath}:\n${tail}`);
}

/** Runs a child to completion and returns its stdout; killed if it outlives `timeoutMs`. */
export function runToCompletion(
  name: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    live.add(child);
    let out = "";
    let err = "";
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString("utf8");
    });
    child.stderr?.on("data", (c: Buffer) => {
      err += c.toString("utf8");
      if (err.length > 20_000) err = err.slice(-20_000);
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
    }, timeoutMs);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      if (code === 0) resolve(out);
      else reject(new Error(`${name} failed (code ${code}, signal ${signal}):\n${err.slice(-4000)}`));
    });
  });
}
