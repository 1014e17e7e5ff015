/**
 * The server process (`npm start`, `portcullis start`): load the configuration, start the server,
 * stop cleanly on SIGINT/SIGTERM. Log lines are buffered; closing the server writes them out, and
 * so does a crash before it exits.
 *
 * A signal starts a graceful shutdown (`server.shutdown()`, http/connection-drain.ts): /readyz
 * answers 503, new connections are refused, requests in flight finish within
 * PORTCULLIS_SHUTDOWN_TIMEOUT (then they are cut), buffered writes are flushed, the bus and the
 * database close, exit 0. A second signal exits at once, with 128 + the signal's number.
 */
import { constants } from "node:os";
import { ConfigError, loadConfig } from "./config/config.js";
import { findConfigFile } from "./config/config-file.js";
import { createServer } from "./index.js";

/** How long closing may take once the connections are drained: the workers' passes in progress, the flushes. */
const CLOSE_AFTER_DRAIN_MS = 10_000;

/**
 * Loads the configuration, starts the server and stops it cleanly on SIGINT/SIGTERM; exits on
 * failure. Resolves once the server listens; the process then lives until a signal.
 *
 * @example
 * await runServer(); // main.ts and `portcullis start`
 */
export async function runServer(): Promise<void> {
  try {
    await startAndWatch();
  } catch (error) {
    process.stderr.write(
      `Portcullis failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  }
}

async function startAndWatch(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env, findConfigFile(process.env, process.cwd()));
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Portcullis cannot start.\n${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const server = await createServer(config);
  // Nothing is in a known state after an uncaught exception: log it, write out the buffered lines
  // synchronously (we exit at once), and leave the restart to the supervisor.
  process.on("uncaughtException", (error) => {
    server.app.log.fatal({ err: error }, "uncaught exception, exiting");
    server.flushLogs();
    process.exit(1);
  });
  // Before the server says it listens: whoever waits for that line may stop it at once.
  let stopping = false;
  const stop = (signal: "SIGINT" | "SIGTERM") => {
    const signalExitCode = 128 + constants.signals[signal];
    if (stopping) {
      // The operator insists (a second Ctrl-C): nothing more is waited for.
      server.app.log.warn(`${signal} received again, exiting at once`);
      server.flushLogs();
      process.exit(signalExitCode);
    }
    stopping = true;
    server.app.log.info(`${signal} received, closing`);
    server.flushLogs();
    // The drain is bounded by the timeout; this bounds what follows it (a worker's pass, a flush)
    // should something there hang.
    setTimeout(
      () => {
        server.app.log.error("shutdown did not finish in time, exiting");
        server.flushLogs();
        process.exit(1);
      },
      server.config.shutdownTimeoutSeconds * 1000 + CLOSE_AFTER_DRAIN_MS,
    ).unref();
    server.shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        server.app.log.error({ err: error }, "closing failed");
        server.flushLogs();
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  for (const warning of config.warnings) server.app.log.warn(warning);
  const address = await server.listen();
  server.app.log.info(`Portcullis is listening on ${address} (public URL ${server.config.publicUrl})`);
  for (const metrics of server.metricsApp?.addresses() ?? [])
    server.app.log.info(
      `Metrics are served on ${typeof metrics === "string" ? metrics : `${metrics.address}:${metrics.port}`}/metrics`,
    );
  // Whoever started it sees that at once, not with the next batch of lines.
  server.flushLogs();
}
