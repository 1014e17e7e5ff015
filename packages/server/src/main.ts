/** `npm start`: load the configuration, start the server, stop cleanly on SIGINT/SIGTERM. */
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
  for (const warning of config.warnings) server.app.log.warn(warning);
  const address = await server.listen();
  server.app.log.info(`Portcullis is listening on ${address} (public URL ${server.config.publicUrl})`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.app.log.info(`${signal} received, closing`);
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `Portcullis failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
