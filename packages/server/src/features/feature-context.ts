/**
 * What every feature module is built from: the resolved configuration, the storage and test
 * overrides the caller passed, the clock, a logger, and the host it hands routes, workers and
 * timers to (feature-host.ts). The composition root (`createServices` in app.ts) makes it once.
 */
import type { Config } from "../config/config.js";
import type { Clock } from "../domain/clock.js";
import type { PasswordHasherOptions } from "../domain/passwords/password-hasher.js";
import type { MailLog } from "../mail/mail-delivery.js";
import type { SqlDatabase } from "../store/sql/database.js";
import type { FeatureHost } from "./feature-host.js";

/** The configuration once a secret is known (generated in development, required in production). */
export type ResolvedConfig = Config & { secret: string };

/** What the services are built over; the server and the CLI pass the database, tests the rest too. */
export interface ServiceDeps {
  database: SqlDatabase;
  clock?: Clock;
  isCommonPassword?: (password: string) => boolean;
  /** Tests pass cheaper argon2 parameters. */
  hasher?: Partial<PasswordHasherOptions>;
}

/** The server passes its own logger; the CLI only wants warnings, and by default gets none. */
export type FeatureLog = { warn(object: unknown, message: string): void } & Partial<MailLog>;

export interface FeatureContext {
  config: ResolvedConfig;
  deps: ServiceDeps;
  clock: Clock;
  log: FeatureLog;
  host: FeatureHost;
}
