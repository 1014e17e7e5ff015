/**
 * What a feature hands to the app besides its services: the routes it serves, the workers and
 * timers it runs in the background, what it writes out before the app closes and what it closes.
 * `buildApp` registers the routes in the order the features were built and starts the workers;
 * the CLI does neither. `stop()` ends everything in a fixed order: workers asked to stop, timers
 * cleared, then each feature's own stop, last built first (the shared state closes last).
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import type { HttpDeps } from "../http/http-deps.js";

/** Registers a feature's routes on the root app, as `app.register(routes, http)` does. */
export type RegisterRoutes = (app: FastifyInstance, http: HttpDeps) => Promise<void>;

/** A worker the server runs and the CLI does not (mail, webhook deliveries). */
export interface BackgroundWorker {
  /** One line for the start-up log, written before the workers start. */
  description?: string;
  start(): void;
  /** Resolves once the pass in progress has finished. */
  stop(): Promise<void>;
}

export interface FeatureHost {
  /** Route plugins that take the HTTP layer's dependencies as they are. */
  serve(...plugins: FastifyPluginAsyncTypebox<HttpDeps>[]): void;
  /** Routes that need more than `HttpDeps`, or none at all in some configurations. */
  serveWith(register: RegisterRoutes): void;
  /**
   * Runs `task` every `intervalMs` once every feature is built, without keeping the process
   * alive; a failure is logged.
   */
  every(intervalMs: number, task: () => Promise<unknown>, failureMessage: string): void;
  worker(worker: BackgroundWorker): void;
  /** Buffered writes the server makes before it closes (a `preClose` hook); a failure is logged. */
  beforeClose(flush: () => Promise<unknown>, failureMessage: string): void;
  onStop(stop: () => Promise<void> | void): void;
}

/** What the composition root reads back once every feature is built. */
export interface FeatureHostContents {
  routes: readonly RegisterRoutes[];
  workers: readonly BackgroundWorker[];
  flushBeforeClose(): Promise<void>;
  stop(): Promise<void>;
}

export function createFeatureHost(log: {
  warn(object: unknown, message: string): void;
}): FeatureHost & FeatureHostContents & { startTimers(): void } {
  const routes: RegisterRoutes[] = [];
  const workers: BackgroundWorker[] = [];
  const tasks: { intervalMs: number; run(): void }[] = [];
  const timers: NodeJS.Timeout[] = [];
  const flushes: (() => Promise<void>)[] = [];
  const stops: (() => Promise<void> | void)[] = [];
  const logFailure = (message: string) => (error: unknown) => log.warn({ err: error }, message);
  return {
    routes,
    workers,
    serve(...plugins) {
      routes.push(async (app, http) => {
        for (const plugin of plugins) await app.register(plugin, http);
      });
    },
    serveWith: (register) => routes.push(register),
    every(intervalMs, task, failureMessage) {
      tasks.push({ intervalMs, run: () => void task().catch(logFailure(failureMessage)) });
    },
    worker: (worker) => workers.push(worker),
    beforeClose(flush, failureMessage) {
      flushes.push(async () => {
        await flush().catch(logFailure(failureMessage));
      });
    },
    onStop: (stop) => stops.push(stop),
    /** Called once, when every feature is built. */
    startTimers() {
      for (const task of tasks) {
        const timer = setInterval(task.run, task.intervalMs);
        timer.unref();
        timers.push(timer);
      }
    },
    async flushBeforeClose() {
      for (const flush of flushes) await flush();
    },
    async stop() {
      // Asked only: the server's onClose hooks wait for the pass in progress before the database closes.
      for (const worker of workers) void worker.stop();
      for (const timer of timers) clearInterval(timer);
      for (const stop of [...stops].reverse()) await stop();
    },
  };
}
