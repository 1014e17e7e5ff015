/**
 * GET /v1/me/events: the signed-in user's own security events (they are the subject), newest
 * first. Also open to API keys with the `events:read` scope.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { AuditEventView } from "../../../domain/audit/audit-record.js";
import { SCOPES } from "../../../domain/authz/scopes.js";
import type { HttpDeps } from "../../http-deps.js";
import { requireAuth } from "../../plugins/authentication.js";
import { requireScopes } from "../../plugins/authorization.js";
import { EVENT_LIMIT_DEFAULT, ListMyEventsSchema } from "./me-events.schema.js";

export function presentEvent(event: AuditEventView) {
  return {
    id: event.id,
    type: event.type,
    at: new Date(event.at).toISOString(),
    ip: event.ip,
    userAgent: event.userAgent,
    details: event.details,
  };
}

export const meEventsRoutes: FastifyPluginAsyncTypebox<HttpDeps> = async (app, deps) => {
  app.get(
    "/v1/me/events",
    {
      schema: ListMyEventsSchema,
      config: { apiKey: true },
      onRequest: [app.authenticate, requireScopes(SCOPES.eventsRead)],
    },
    async (request) => {
      const auth = requireAuth(request);
      const events = await deps.auditLog.listUserEvents(
        auth.userId,
        request.query.limit ?? EVENT_LIMIT_DEFAULT,
      );
      return { events: events.map(presentEvent) };
    },
  );
};
