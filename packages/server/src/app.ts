/**
 * The composition root: the one place that wires configuration, storage, domain services and
 * the HTTP layer together, as a list of features (src/features/). Each feature builds its
 * services and hands the app its routes, workers and timers; `buildApp` never listens (main.ts
 * does), so tests drive the very same app through `app.inject()`.
 */
import type { FastifyInstance } from "fastify";
import { systemClock } from "./domain/clock.js";
import { createAccounts } from "./features/accounts-feature.js";
import { createApiKeys } from "./features/api-keys-feature.js";
import { createAuditLog } from "./features/audit-feature.js";
import type { FeatureLog, ResolvedConfig, ServiceDeps } from "./features/feature-context.js";
import { createFeatureHost } from "./features/feature-host.js";
import { createIntrospection } from "./features/introspection-feature.js";
import { startOpenIdProvider } from "./features/openid-provider-feature.js";
import { servePages } from "./features/pages-feature.js";
import { openPlatform } from "./features/platform-feature.js";
import { type AppServices, appServicesOf, httpDepsOf, type Services } from "./features/services.js";
import { startSessions } from "./features/sessions-feature.js";
import { createSignIn } from "./features/sign-in-feature.js";
import { startSigningKeys } from "./features/signing-keys-feature.js";
import { createSocialLogin } from "./features/social-login-feature.js";
import { createUserAdmin } from "./features/user-admin-feature.js";
import { createWebhooks } from "./features/webhooks-feature.js";
import type { DrainOptions, DrainOutcome } from "./http/connection-drain.js";
import { drainListeners } from "./http/drain-listeners.js";
import { registerHttpFoundation } from "./http/http-foundation.js";
import { buildMetricsApp } from "./http/metrics-listener.js";
import { createServerInstance, type LoggingOptions } from "./http/server-instance.js";

export type { ResolvedConfig } from "./features/feature-context.js";
export type { AppServices, Services } from "./features/services.js";
export { LOG_REDACTIONS } from "./http/server-instance.js";

export interface AppDeps extends ServiceDeps, LoggingOptions {}

export interface PortcullisApp {
  app: FastifyInstance;
  services: AppServices;
  /**
   * Writes out buffered log lines before returning: after the start-up lines, and on exit paths
   * (a crash), where no callback runs any more. Closing the app writes them too.
   */
  flushLogs(): void;
  /**
   * The first half of a graceful shutdown (http/connection-drain.ts): /readyz answers 503, the
   * listeners stop, requests in flight finish (cut at `timeoutMs`), keep-alive connections close.
   * Resolves once no connection is left; `app.close()` then flushes and closes the rest.
   */
  drain(options: DrainOptions): Promise<DrainOutcome>;
  /** The metrics listener's app (PORTCULLIS_METRICS_PORT); closed with `app`. */
  metricsApp: FastifyInstance | undefined;
}

/**
 * Builds every feature over the given storage, in dependency order. Used by `buildApp` and by the
 * CLI. Loads (or creates) the signing keys and the revocation set before returning.
 */
export async function createServices(
  config: ResolvedConfig,
  deps: ServiceDeps,
  log: FeatureLog = { warn: () => {} },
): Promise<Services> {
  const host = createFeatureHost(log);
  const platform = await openPlatform({ config, deps, clock: deps.clock ?? systemClock, log, host });
  const keys = await startSigningKeys(platform);
  const sessions = await startSessions({ ...platform, ...keys });
  const userAdmin = createUserAdmin({ ...platform, ...sessions });
  const apiKeys = createApiKeys(platform);
  const auditLog = createAuditLog(platform);
  const accounts = createAccounts({ ...platform, ...sessions });
  const signIn = createSignIn({ ...platform, ...sessions, ...accounts });
  const socialLogin = createSocialLogin({ ...platform, ...accounts, ...signIn });
  const webhooks = createWebhooks({ ...platform, ...accounts });
  const introspection = createIntrospection({ ...platform, ...sessions, ...apiKeys });
  const openId = startOpenIdProvider({ ...platform, ...keys, ...sessions, ...accounts });
  servePages({ ...platform, ...openId });
  host.startTimers();

  return {
    ...platform,
    ...keys,
    ...sessions,
    ...userAdmin,
    ...apiKeys,
    ...auditLog,
    ...accounts,
    ...signIn,
    ...socialLogin,
    ...webhooks,
    ...introspection,
    ...openId,
    routes: host.routes,
    workers: host.workers,
    flushBeforeClose: host.flushBeforeClose,
    stop: host.stop,
  };
}

export async function buildApp(config: ResolvedConfig, deps: AppDeps): Promise<PortcullisApp> {
  const { app, logStream, flushLogs } = await createServerInstance(config, deps);
  const services = await createServices(config, deps, {
    warn: (object, message) => app.log.warn(object, message),
    info: (object, message) => app.log.info(object, message),
    error: (object, message) => app.log.error(object, message),
  });
  const connectionDrain = await registerHttpFoundation(app, { ...services, logStream });
  const http = httpDepsOf(services, () => connectionDrain.draining);
  for (const registerRoutes of services.routes) await registerRoutes(app, http);

  // Buffered writes at shutdown. `preClose`, because onClose hooks run last-added first and whoever
  // opened the database closes it in one added later.
  app.addHook("preClose", () => services.flushBeforeClose());
  app.addHook("onClose", () => services.stop());
  // A worker's pass in progress finishes before the database closes; queued work waits for the next start.
  for (const worker of services.workers) app.addHook("onClose", () => worker.stop());
  const metricsApp =
    config.metrics.port === undefined
      ? undefined
      : await buildMetricsApp({
          registry: services.metrics.registry,
          settings: config.metrics,
          production: config.env === "production",
          logger: app.log,
        });
  if (metricsApp !== undefined) app.addHook("onClose", () => metricsApp.close());
  for (const worker of services.workers) {
    if (worker.description !== undefined) app.log.info(worker.description);
    worker.start();
  }

  return {
    app,
    services: appServicesOf(services),
    flushLogs,
    drain: (options) => drainListeners(app, connectionDrain, metricsApp, options),
    metricsApp,
  };
}
