/**
 * `npm start`: load the configuration, start the server, stop cleanly on SIGINT/SIGTERM. Log
 * lines are buffered; closing the server writes them out, and so does a crash before it exits.
 */
import { ConfigError, loadConfig } from "./config/config.js";
import { createServer } from "./index.js";

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
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
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.app.log.info(`${signal} received, closing`);
    server.close().then(
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
  // Whoever started it sees that at once, not with the next batch of lines.
  server.flushLogs();
}

main().catch((error: unknown) => {
  process.stderr.write(
    `Portcullis failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
