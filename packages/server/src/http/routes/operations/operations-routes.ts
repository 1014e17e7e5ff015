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
        summary: "Ready to serve: the database answers",
        response: { 200: Status, 503: Status },
      },
    },
    async (_request, reply) => {
      const database = (await deps.databaseReady()) ? "ok" : "down";
      const ready = database === "ok";
      return reply
        .code(ready ? 200 : 503)
        .send({ status: ready ? "ok" : "unavailable", checks: { database: { status: database } } });
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
