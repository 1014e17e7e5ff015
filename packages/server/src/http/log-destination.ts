/**
 * Where the server's log lines go. Pino formats a line synchronously; writing it need not be:
 * lines are gathered in memory and written by a few large asynchronous writes (every 16 KiB, and
 * at least once a second), which is what keeps a line per request cheap. A line that need not be
 * formatted at once (`writeLater`: the access log's) is formatted with the next 63 others, in
 * one go. What is still buffered is written when the app closes (`close`), and synchronously on
 * the way out (`flushSync`: a crash, `process.exit`). Lines are JSON, except in development on a
 * terminal, where pino-pretty makes them readable; never in production.
 */
import { once } from "node:events";
import { writeSync } from "node:fs";
import { destination } from "pino";
import type { Config } from "../config/config.js";
import { ACCESS_LOG_FIELDS, formatAccessLine } from "./plugins/access-log.js";

export type LogFormat = "json" | "pretty";

/** What the logger writes lines to. */
export interface LogStream {
  write(line: string): void;
  /**
   * Takes what a line will say and formats it later, with others, in the order of all lines
   * written. Formatted 64 in one go, a line cost the server about 2.5 µs of CPU, against 5.5 µs
   * formatted as its request ended: code and data stay in the processor's caches. Optional: a
   * stream without it is given each line formatted.
   */
  writeLater?<T>(entry: T, format: (entry: T) => string): void;
}

export interface LogDestinationOptions {
  /** A file descriptor (1: stdout) or the path of a file to append to. */
  target: number | string;
  format: LogFormat;
}

export interface LogDestination {
  /** Pino's destination (the `stream` of Fastify's logger options). */
  stream: LogStream;
  /** Writes out what is buffered; resolves once it is written. */
  flush(): Promise<void>;
  /** Writes out what is buffered before returning: for exit paths, where no callback runs any more. */
  flushSync(): void;
  /**
   * Writes out everything buffered, for the app's close. The target stays open (stdout outlives
   * the app), so a line logged later is still written.
   */
  close(): Promise<void>;
}

/**
 * Bytes gathered before a write: one write for some 70 access-log lines. Each write wakes a
 * thread and the reader of the pipe, which costs more than the write itself (4 KiB measured a
 * few per cent slower on `GET /v1/me`).
 */
const BUFFER_BYTES = 16_384;
/** Room for a batch and the line that fills it; a longer line is written on its own. */
const BATCH_CAPACITY = 2 * BUFFER_BYTES;
/** A quiet server's lines still show up within this long. */
const FLUSH_INTERVAL_MS = 1000;
/** Lines given to `writeLater` that are formatted together. */
const LINES_FORMATTED_TOGETHER = 64;

/**
 * Readable lines only for a person at a terminal in development; JSON for machines, and always
 * in production.
 * @example chooseLogFormat("development", process.stdout.isTTY === true) // "pretty" in a terminal
 */
export function chooseLogFormat(env: Config["env"], isTerminal: boolean): LogFormat {
  return env === "development" && isTerminal ? "pretty" : "json";
}

/** Pino's `SonicBoom` in `contentMode: "buffer"`, which takes buffers (its types know only strings). */
interface ByteSink {
  readonly fd: number;
  write(bytes: Buffer): boolean;
  flush(callback: (error?: Error) => unknown): void;
  flushSync(): void;
}

/**
 * An asynchronous, buffered destination: lines are encoded into a batch buffer, and pino's
 * `SonicBoom` writes each full batch asynchronously. SonicBoom's own buffering (`minLength`) is
 * not used: it appends every line to one string and measures that string's UTF-8 length on each
 * write, which copies the whole buffer per line — garbage enough to cost a third of the
 * throughput of `GET /v1/me`.
 * @example
 * const logs = await createLogDestination({ target: 1, format: "json" });
 * const app = Fastify({ logger: { stream: logs.stream } });
 * app.addHook("onClose", () => logs.close());
 */
export async function createLogDestination(options: LogDestinationOptions): Promise<LogDestination> {
  // Each batch is written at once; `minLength: 1` rather than 0 only so that `flush(cb)` waits
  // for the write under way (with 0 it calls back at once).
  const boom = destination({ dest: options.target, sync: false, minLength: 1, contentMode: "buffer" });
  // A file is opened asynchronously; until then `flushSync` could not write.
  await once(boom, "ready");
  const sonic = boom as unknown as ByteSink;

  let batch = Buffer.allocUnsafe(BATCH_CAPACITY);
  let used = 0;
  const handOver = () => {
    if (used === 0) return;
    const full = batch.subarray(0, used);
    batch = Buffer.allocUnsafe(BATCH_CAPACITY);
    used = 0;
    sonic.write(full);
  };
  // Lines given to `writeLater`, not formatted yet: each entry with its format.
  const laterEntries: unknown[] = [];
  const laterFormats: Array<(entry: unknown) => string> = [];
  const formatLater = (): string => {
    let text = "";
    for (let i = 0; i < laterEntries.length; i++) text += laterFormats[i]?.(laterEntries[i]) ?? "";
    laterEntries.length = 0;
    laterFormats.length = 0;
    return text;
  };
  // Set below for the JSON format: adds text to the batch.
  let append = (_text: string) => {};
  const formatPending = () => {
    if (laterEntries.length > 0) append(formatLater());
  };

  const flushSync = () => {
    const later = Buffer.from(formatLater());
    try {
      // What SonicBoom holds, then the batch, then the lines still to format, each written before
      // returning. None may go through `sonic.write`: that starts an asynchronous write, which an
      // exiting process does not wait for. A write SonicBoom already has under way may land after
      // these lines.
      sonic.flushSync();
      let offset = 0;
      while (offset < used) offset += writeSync(sonic.fd, batch, offset, used - offset);
      offset = 0;
      while (offset < later.length) offset += writeSync(sonic.fd, later, offset, later.length - offset);
    } catch {
      // Not open yet (a file), already closed, or a full pipe: nothing more can be written now.
    } finally {
      used = 0;
    }
  };
  // Errors are ignored: `fsync` fails on a pipe, and a failed write has nowhere to be reported.
  const flush = () => {
    formatPending();
    handOver();
    return new Promise<void>((resolve) => sonic.flush(() => resolve()));
  };

  let stream: LogStream;
  let stopBuffering = () => {};
  if (options.format === "pretty") {
    // Loaded only here, so production never loads it. Someone reading a terminal wants each line
    // as it happens: no batches (the writes stay asynchronous).
    const { prettyFactory } = await import("pino-pretty");
    const prettify = prettyFactory({
      colorize: true,
      translateTime: "SYS:HH:MM:ss.l",
      // An access-log line reads as one line of text ("GET /v1/me 200 1.2 ms"), not seven.
      messageFormat: (log, messageKey) => formatAccessLine(log) ?? String(log[messageKey] ?? ""),
      ignore: ["pid", "hostname", ...ACCESS_LOG_FIELDS].join(","),
    });
    stream = { write: (line) => sonic.write(Buffer.from(prettify(line))) };
  } else {
    let buffering = true;
    append = (text) => {
      // A UTF-16 unit takes at most 3 bytes in UTF-8.
      if (!buffering || text.length * 3 > BATCH_CAPACITY - used) {
        handOver();
        if (!buffering || text.length * 3 > BATCH_CAPACITY) {
          sonic.write(Buffer.from(text));
          return;
        }
      }
      used += batch.write(text, used);
      if (used >= BUFFER_BYTES) handOver();
    };
    stream = {
      write(line) {
        formatPending();
        append(line);
      },
      writeLater(entry, format) {
        if (!buffering) return append(format(entry));
        laterEntries.push(entry);
        laterFormats.push(format as (entry: unknown) => string);
        if (laterEntries.length >= LINES_FORMATTED_TOGETHER) formatPending();
      },
    };
    const timer = setInterval(() => {
      formatPending();
      handOver();
    }, FLUSH_INTERVAL_MS);
    timer.unref();
    // SonicBoom writes its own buffer on `process.exit` (pino registers that); the batch is ours.
    process.on("exit", flushSync);
    stopBuffering = () => {
      buffering = false;
      clearInterval(timer);
      process.off("exit", flushSync);
    };
  }

  return {
    stream,
    flush,
    flushSync,
    async close() {
      await flush();
      // From now on lines go straight to SonicBoom, which pino writes out on `process.exit`.
      stopBuffering();
      // A line logged while that write was under way.
      flushSync();
    },
  };
}
