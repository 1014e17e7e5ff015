/** Liveness, readiness and Prometheus metrics. */

import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { HttpDeps } from "../../http-deps.js";

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
        summary: "Ready to serve: the database answers (Redis or the revocation bus down: 200, degraded)",
        response: { 200: Status, 503: Status },
      },
    },
    async (_request, reply) => {
      // A load balancer must not pull every instance at once for a dependency they can live without.
      const [databaseUp, optional] = await Promise.all([deps.databaseReady(), deps.optionalDependencies()]);
      const checks: Record<string, { status: string }> = { database: { status: databaseUp ? "ok" : "down" } };
      for (const [name, status] of Object.entries(optional)) checks[name] = { status };
      const degraded = Object.values(optional).includes("degraded");
      const status = !databaseUp ? "unavailable" : degraded ? "degraded" : "ok";
      return reply.code(databaseUp ? 200 : 503).send({ status, checks });
    },
  );

  app.get(
    "/metrics",
    { schema: { tags: ["operations"], summary: "Prometheus metrics", hide: false } },
    async (_request, reply) => {
      reply.type(deps.metrics.registry.contentType);
      return deps.metrics.registry.metrics();
    },
  );
};
