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
import { openSqlDatabase } from "./store/sql/database.js";

export type { AppDeps, AppServices, PortcullisApp, ResolvedConfig } from "./app.js";
export { buildApp } from "./app.js";
export { type Config, ConfigError, loadConfig } from "./config/config.js";

export interface PortcullisServer extends PortcullisApp {
  config: ResolvedConfig;
  /** Listens on the configured host and port; resolves with the address. */
  listen(): Promise<string>;
  close(): Promise<void>;
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
    built.app.addHook("onClose", () => database.close());
    return {
      ...built,
      config: resolved,
      listen: () => built.app.listen({ port: resolved.port, host: resolved.host }),
      close: () => built.app.close(),
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
