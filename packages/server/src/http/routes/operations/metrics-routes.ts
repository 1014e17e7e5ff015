/**
 * GET /metrics (API.md "Discovery and operations"): Prometheus text for whoever `access` admits
 * (http/metrics-access.ts). Mounted on the public listener and, when configured, on the metrics
 * listener of its own, each with its own rule. Refused scrapers get a 401 with a Bearer challenge
 * (RFC 6750 §3) when a token is configured, else the 404 of any unknown path, so the route's
 * existence tells nobody anything.
 */
import type { FastifyPluginAsync } from "fastify";
import type { Registry } from "prom-client";
import type { MetricsAccess } from "../../metrics-access.js";
import { sendProblem } from "../../problem.js";
import { GetMetricsSchema } from "./metrics.schema.js";

export interface MetricsRoutesOptions {
  registry: Registry;
  access: MetricsAccess;
}

export const metricsRoutes: FastifyPluginAsync<MetricsRoutesOptions> = async (app, options) => {
  app.get("/metrics", { schema: GetMetricsSchema }, async (request, reply) => {
    const verdict = options.access({
      authorization: request.headers.authorization,
      peerAddress: request.socket.remoteAddress,
    });
    if (verdict === "not_found") return reply.callNotFound();
    if (verdict !== "serve") return sendProblem(reply, verdict);
    reply.type(options.registry.contentType);
    return options.registry.metrics();
  });
};
