/**
 * The metrics listener (PORTCULLIS_METRICS_PORT): a second, minimal Fastify app that serves
 * `GET /metrics` alone, meant for an interface only the scraper reaches (PORTCULLIS_METRICS_HOST,
 * loopback by default). It shares the main app's registry and logger; `buildApp` builds it and
 * `createServer` listens on it, like the main app.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import type { Registry } from "prom-client";
import type { MetricsSettings } from "../config/config.js";
import { metricsAccess } from "./metrics-access.js";
import { errorHandling } from "./plugins/error-handling.js";
import { metricsRoutes } from "./routes/operations/metrics-routes.js";

export interface MetricsListenerOptions {
  registry: Registry;
  settings: MetricsSettings;
  production: boolean;
  logger: FastifyBaseLogger;
}

/**
 * @example
 * const metricsApp = await buildMetricsApp({ registry, settings: config.metrics, production, logger: app.log });
 * await metricsApp.listen({ port: config.metrics.port, host: config.metrics.host });
 */
export async function buildMetricsApp(options: MetricsListenerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger.child({ listener: "metrics" }),
    // A scrape every few seconds is not worth two log lines each.
    logController: new LogController({ disableRequestLogging: true }),
  });
  await app.register(errorHandling, {});
  await app.register(metricsRoutes, {
    registry: options.registry,
    access: metricsAccess(options.settings, { listener: "metrics", production: options.production }),
  });
  return app;
}
