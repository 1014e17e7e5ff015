/**
 * Portcullis: a self-hosted authentication server. `createServer(config)` opens the database,
 * runs migrations, builds the app and returns it ready to listen.
 *
 * @example
 * const server = await createServer(loadConfig(process.env));
 * await server.listen();
 */
import { type AppDeps, buildApp, type PortcullisApp, type ResolvedConfig } from "./app.js";
import type { Config } from "./config/config.js";
import { ensureSecret } from "./config/development-secret.js";
import type { DrainOutcome } from "./http/connection-drain.js";
import { openSqlDatabase } from "./store/sql/database.js";

export type { AppDeps, AppServices, PortcullisApp, ResolvedConfig } from "./app.js";
export { buildApp } from "./app.js";
export { type Config, ConfigError, loadConfig } from "./config/config.js";
export type { DrainOutcome } from "./http/connection-drain.js";

export interface PortcullisServer extends PortcullisApp {
  config: ResolvedConfig;
  /** Listens on the configured host and port (and the metrics listener's, if any); resolves with the address. */
  listen(): Promise<string>;
  /** Closes the app (its workers finish their pass in progress, buffered writes are flushed), then the database. */
  close(): Promise<void>;
  /**
   * A graceful shutdown, as on SIGTERM: `drain` for up to PORTCULLIS_SHUTDOWN_TIMEOUT, then `close`.
   * @example
   * process.once("SIGTERM", () => server.shutdown().then(() => process.exit(0)));
   */
  shutdown(): Promise<DrainOutcome>;
}

export async function createServer(
  config: Config,
  options: Omit<AppDeps, "database"> & { announce?: (message: string) => void } = {},
): Promise<PortcullisServer> {
  const { announce = (message: string) => process.stderr.write(`${message}\n`), ...deps } = options;
  const resolved = ensureSecret(config, announce);
  const database = await openSqlDatabase(resolved.databaseUrl);
  try {
    const built = await buildApp(resolved, { ...deps, database });
    // Not an onClose hook: those run last-added first, so the database would close before the
    // mail, webhook and back-channel logout workers had finished their pass in progress.
    let closing: Promise<void> | undefined;
    const close = () => (closing ??= built.app.close().finally(() => database.close()));
    return {
      ...built,
      config: resolved,
      async listen() {
        const address = await built.app.listen({ port: resolved.port, host: resolved.host });
        // The metrics listener (PORTCULLIS_METRICS_PORT), on an interface of its own.
        const { port, host } = resolved.metrics;
        if (built.metricsApp !== undefined && port !== undefined)
          await built.metricsApp.listen({ port, host });
        return address;
      },
      close,
      async shutdown() {
        const outcome = await built.drain({ timeoutMs: resolved.shutdownTimeoutSeconds * 1000 });
        await close();
        return outcome;
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
