/**
 * argon2 on threads of its own, off libuv's pool (which file system, DNS and other crypto work
 * share), optionally below the event loop's CPU priority. On a small machine a login storm keeps
 * every core busy hashing, and every other request waits for a time slice (the protected route's
 * p99 doubled). With `niceness` > 0 each hash thread lowers its own priority (Linux `nice` is per
 * thread), so the scheduler runs the event loop first whenever it has work and hashing takes the
 * cycles it leaves — but also those every other busy process on the machine leaves, so it is off
 * by default. Elsewhere (no `/proc/thread-self`) the threads keep the normal priority.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { Options as Argon2Options } from "@node-rs/argon2";

export interface Argon2Threads {
  hash(password: string | Uint8Array, options: Argon2Options): Promise<string>;
  /** Rejects for a hash the library cannot read, like `@node-rs/argon2`'s own `verify`. */
  verify(storedHash: string, password: string): Promise<boolean>;
}

export interface Argon2ThreadsOptions {
  /** Hashes computed at once: one thread each. */
  threads: number;
  /** `nice` increment of the hash threads (0–19); 0 by default: the event loop's priority. */
  niceness?: number;
}

type Task =
  | { kind: "hash"; password: string | Uint8Array; options: Argon2Options }
  | { kind: "verify"; storedHash: string; password: string };
type Reply = { id: number; ok: true; value: string | boolean } | { id: number; ok: false; message: string };

/**
 * Runs in each thread (as an evaluated CommonJS script, so it needs no file of its own next to
 * the compiled or the TypeScript source). Lowers its own thread's priority where Linux allows.
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { readlinkSync } = require("node:fs");
const { setPriority } = require("node:os");
const argon2 = require(workerData.argon2Path);
if (workerData.niceness > 0) try {
  const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
  if (Number.isInteger(tid) && tid > 0) setPriority(tid, workerData.niceness);
} catch {}
parentPort.on("message", ({ id, task }) => {
  try {
    const value = task.kind === "hash"
      ? argon2.hashSync(task.password, task.options)
      : argon2.verifySync(task.storedHash, task.password);
    parentPort.postMessage({ id, ok: true, value });
  } catch (error) {
    parentPort.postMessage({ id, ok: false, message: error instanceof Error ? error.message : String(error) });
  }
});
`;

interface HashThread {
  worker: Worker;
  pending: Map<number, { resolve: (value: string | boolean) => void; reject: (error: Error) => void }>;
}

/**
 * @example
 * const threads = createArgon2Threads({ threads: availableParallelism() });
 * await threads.verify(storedHash, password); // true or false
 */
export function createArgon2Threads(options: Argon2ThreadsOptions): Argon2Threads {
  const niceness = options.niceness ?? 0;
  if (!Number.isInteger(options.threads) || options.threads < 1)
    throw new Error("createArgon2Threads: threads must be a positive integer");
  if (!Number.isInteger(niceness) || niceness < 0 || niceness > 19)
    throw new Error("createArgon2Threads: niceness must be an integer from 0 to 19");
  const argon2Path = createRequire(import.meta.url).resolve("@node-rs/argon2");
  const threads: HashThread[] = [];
  let nextId = 0;

  function startThread(): HashThread {
    // No inherited execArgv: `--input-type=module` would make the CommonJS source above a module.
    const worker = new Worker(THREAD_SOURCE, {
      eval: true,
      execArgv: [],
      workerData: { argon2Path, niceness },
    });
    const thread: HashThread = { worker, pending: new Map() };
    worker.on("message", (reply: Reply) => {
      const waiter = thread.pending.get(reply.id);
      thread.pending.delete(reply.id);
      if (thread.pending.size === 0) worker.unref();
      if (reply.ok) waiter?.resolve(reply.value);
      else waiter?.reject(new Error(reply.message));
    });
    worker.on("error", (error) => {
      // A thread that died (out of memory) is replaced on the next call; what it held fails.
      threads.splice(threads.indexOf(thread), 1);
      for (const waiter of thread.pending.values()) waiter.reject(error);
      thread.pending.clear();
    });
    // An idle hash thread must not keep the process alive; a busy one must (a CLI awaits its hash).
    // After the listeners: adding a "message" listener refs the thread's port again.
    worker.unref();
    threads.push(thread);
    return thread;
  }

  function run(task: Task): Promise<string | boolean> {
    while (threads.length < options.threads) startThread();
    // The least loaded thread (the caller's queue keeps hashes in flight within `threads`).
    let thread = threads[0] as HashThread;
    for (const candidate of threads) if (candidate.pending.size < thread.pending.size) thread = candidate;
    const id = nextId++;
    return new Promise((resolve, reject) => {
      if (thread.pending.size === 0) thread.worker.ref();
      thread.pending.set(id, { resolve, reject });
      thread.worker.postMessage({ id, task });
    });
  }

  return {
    async hash(password, argon2Options) {
      return String(await run({ kind: "hash", password, options: argon2Options }));
    },
    async verify(storedHash, password) {
      return (await run({ kind: "verify", storedHash, password })) === true;
    },
  };
}
