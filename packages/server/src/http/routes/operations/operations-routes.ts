/** Liveness, readiness and Prometheus metrics. */

import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { HttpDeps } from "../../http-deps.js";
import { metricsAccess } from "../../metrics-access.js";
import { metricsRoutes } from "./metrics-routes.js";

const Status = Type.Object({
  status: Type.String(),
  checks: Type.Record(Type.String(), Type.Object({ status: Type.String() })),
});

export const operationsRoutes: FastifyPluginAsyncTypebox<HttpDeps> = async (app, deps) => {
  app.get(
    "/healthz",
    {
      schema: {
        tags: ["operations"],
        summary: "The process is up",
        response: { 200: Type.Object({ status: Type.String() }) },
      },
    },
    async () => ({ status: "ok" }),
  );

  app.get(
    "/readyz",
    {
      schema: {
        tags: ["operations"],
        summary:
          "Ready to serve: the database answers (Redis or the revocation bus down: 200, degraded); 503 once shutting down",
        response: { 200: Status, 503: Status },
      },
    },
    async (_request, reply) => {
      // At once, and without asking the dependencies: the load balancer should stop sending here.
      if (deps.shuttingDown()) return reply.code(503).send({ status: "shutting_down", checks: {} });
      // A load balancer must not pull every instance at once for a dependency they can live without.
      const [databaseUp, optional] = await Promise.all([deps.databaseReady(), deps.optionalDependencies()]);
      const checks: Record<string, { status: string }> = { database: { status: databaseUp ? "ok" : "down" } };
      for (const [name, status] of Object.entries(optional)) checks[name] = { status };
      const degraded = Object.values(optional).includes("degraded");
      const status = !databaseUp ? "unavailable" : degraded ? "degraded" : "ok";
      return reply.code(databaseUp ? 200 : 503).send({ status, checks });
    },
  );

  // Not open to whoever reaches the port: see http/metrics-access.ts for who is answered.
  await app.register(metricsRoutes, {
    registry: deps.metrics.registry,
    access: metricsAccess(deps.config.metrics, {
      listener: "public",
      production: deps.config.env === "production",
    }),
  });
};
