/**
 * Prometheus metrics (`prom-client`), one registry per app so several apps can share a process
 * (tests). Labels use the route pattern, never the raw URL, to keep cardinality bounded.
 */
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export interface AuthMetrics {
  registry: Registry;
  logins: Counter<"outcome">;
  refreshes: Counter<"outcome">;
}

export function createAuthMetrics(gauges: { revocationSetSize: () => number }): AuthMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "portcullis_" });
  const metrics: AuthMetrics = {
    registry,
    logins: new Counter({
      name: "portcullis_logins_total",
      help: "Password logins by outcome",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    refreshes: new Counter({
      name: "portcullis_refreshes_total",
      help: "Refresh-token rotations by outcome",
      labelNames: ["outcome"],
      registers: [registry],
    }),
  };
  new Gauge({
    name: "portcullis_revocation_set_size",
    help: "Revoked sessions and users held in memory",
    registers: [registry],
    collect() {
      this.set(gauges.revocationSetSize());
    },
  });
  return metrics;
}

export const httpMetrics = fp(
  async (app: FastifyInstance, options: { metrics: AuthMetrics }) => {
    const duration = new Histogram({
      name: "portcullis_http_request_duration_seconds",
      help: "HTTP request duration by route and status",
      labelNames: ["method", "route", "status"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [options.metrics.registry],
    });
    app.addHook("onResponse", async (request, reply) => {
      duration.observe(
        { method: request.method, route: request.routeOptions.url ?? "unmatched", status: reply.statusCode },
        reply.elapsedTime / 1000,
      );
    });
  },
  { name: "portcullis-http-metrics" },
);
