/**
 * Runs the real entry points (`src/main.ts`, `src/cli/main.ts`) as child processes, with an
 * environment built from scratch so nothing leaks in from the test runner (vitest sets
 * NODE_ENV=test, for one). Every wait is bounded and fails with the child's output. A server
 * source runs as the test run's global setup transpiled it (`test-support/server-build.ts`), with
 * plain `node`; anything else, or a run without that setup, through the `tsx` loader.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** `packages/server`. */
export const SERVER_PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const SERVER_ENTRY = resolve(SERVER_PACKAGE_DIR, "src/main.ts");
export const CLI_ENTRY = resolve(SERVER_PACKAGE_DIR, "src/cli/main.ts");
const SERVER_TSCONFIG = resolve(SERVER_PACKAGE_DIR, "tsconfig.json");
export const SERVER_SOURCE_DIR = resolve(SERVER_PACKAGE_DIR, "src");
/** Where `test-support/server-build.ts` puts the transpiled sources, file for file as in `src/`. */
export const SERVER_TEST_BUILD_DIR = resolve(SERVER_PACKAGE_DIR, ".test-build");

// An absolute URL, so the child may run in a temporary folder that has no node_modules.
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface NodeProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Settles once the process has exited and its output is fully read. */
  readonly exited: Promise<Exit>;
  /** Resolves with the output so far once `pattern` appears; rejects on exit or after `timeoutMs`. */
  waitForOutput(stream: "stdout" | "stderr", pattern: RegExp, timeoutMs: number): Promise<string>;
  /** Resolves with the exit once it happens; rejects after `timeoutMs`. */
  waitForExit(timeoutMs: number): Promise<Exit>;
  /** SIGKILL if still running, then waits for the exit. Safe to call twice. */
  kill(): Promise<void>;
}

/** Only what a Node process needs to run, plus `env`. */
export function cleanEnv(env: Record<string, string>): Record<string, string> {
  const base: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "TMPDIR", "LANG"]) {
    const value = process.env[name];
    if (value !== undefined) base[name] = value;
  }
  return { ...base, ...env };
}

/** How to run `script`: its transpiled copy when the test run made one, else through tsx. */
function nodeArguments(script: string): string[] {
  const fromSource = relative(SERVER_SOURCE_DIR, script);
  if (!fromSource.startsWith("..") && !isAbsolute(fromSource)) {
    const built = resolve(SERVER_TEST_BUILD_DIR, fromSource.replace(/\.tsx?$/, ".js"));
    if (existsSync(built)) return [built];
  }
  return ["--import", TSX_LOADER, script];
}

/** Starts `script` (TypeScript) with `...args` in `cwd` with exactly `cleanEnv(env)`. */
export function spawnTypeScript(
  script: string,
  args: string[],
  options: { cwd: string; env: Record<string, string> },
): NodeProcess {
  const child = spawn(process.execPath, [...nodeArguments(script), ...args], {
    cwd: options.cwd,
    // tsx looks for tsconfig.json in `cwd` (often a temporary folder): point it at the server's,
    // or the pages' JSX would be compiled for React.
    env: cleanEnv({ TSX_TSCONFIG_PATH: SERVER_TSCONFIG, ...options.env }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = { stdout: "", stderr: "" };
  const watchers = new Set<() => void>();
  const notify = () => {
    for (const watcher of watchers) watcher();
  };
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    output.stdout += chunk;
    notify();
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    output.stderr += chunk;
    notify();
  });
  let exit: Exit | undefined;
  const exited = new Promise<Exit>((resolveExit, rejectExit) => {
    child.once("error", rejectExit);
    child.once("close", (code, signal) => {
      exit = { code, signal };
      resolveExit(exit);
      notify();
    });
  });
  const describe = () => `\n--- stdout ---\n${output.stdout}\n--- stderr ---\n${output.stderr}`;

  function waitFor<T>(
    check: () => T | undefined,
    onExit: () => Error | undefined,
    what: string,
    timeoutMs: number,
  ) {
    return new Promise<T>((resolveWait, rejectWait) => {
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        watchers.delete(watcher);
        settle();
      };
      const watcher = () => {
        const value = check();
        if (value !== undefined) return finish(() => resolveWait(value));
        const failure = exit === undefined ? undefined : onExit();
        if (failure !== undefined) finish(() => rejectWait(failure));
      };
      const timer = setTimeout(
        () =>
          finish(() =>
            rejectWait(new Error(`timed out after ${timeoutMs} ms waiting for ${what}${describe()}`)),
          ),
        timeoutMs,
      );
      watchers.add(watcher);
      watcher();
    });
  }

  return {
    child,
    stdout: () => output.stdout,
    stderr: () => output.stderr,
    exited,
    waitForOutput(stream, pattern, timeoutMs) {
      return waitFor(
        () => (pattern.test(output[stream]) ? output[stream] : undefined),
        () => new Error(`exited (${JSON.stringify(exit)}) before ${stream} matched ${pattern}${describe()}`),
        `${stream} to match ${pattern}`,
        timeoutMs,
      );
    },
    waitForExit(timeoutMs) {
      return waitFor(
        () => exit,
        () => undefined,
        "the process to exit",
        timeoutMs,
      );
    },
    async kill() {
      if (exit === undefined && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited.catch(() => undefined);
    },
  };
}

/** Runs a script to completion (killed after `timeoutMs`) and returns its exit and output. */
export async function runTypeScript(
  script: string,
  args: string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs: number },
): Promise<Exit & { stdout: string; stderr: string }> {
  const run = spawnTypeScript(script, args, options);
  try {
    const exit = await run.waitForExit(options.timeoutMs);
    return { ...exit, stdout: run.stdout(), stderr: run.stderr() };
  } finally {
    await run.kill();
  }
}

/** A TCP port that was free a moment ago: the kernel picks one for a listener on port 0. */
export function findFreePort(): Promise<number> {
  return new Promise((resolvePort, rejectPort) => {
    const server = createServer();
    server.once("error", rejectPort);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        rejectPort(new Error("no TCP address"));
        return;
      }
      server.close(() => resolvePort(address.port));
    });
  });
}
