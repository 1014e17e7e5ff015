/**
 * /v1/admin/webhooks: endpoints that hear of audit events (API.md "Webhooks"), and their
 * deliveries. Guarded like the rest of the admin API: the `admin` role, and `admin:read` or
 * `admin:write` where scopes apply. Thin: each route calls the webhook service.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import { ADMIN_ROLE } from "../../../domain/authz/roles.js";
import { SCOPES } from "../../../domain/authz/scopes.js";
import type { Webhook, WebhookDelivery } from "../../../domain/webhooks/webhook.js";
import type { WebhookActor, WebhookInputProblem } from "../../../domain/webhooks/webhook-service.js";
import { sendAccepted } from "../../accepted.js";
import { clientContext } from "../../client-context.js";
import type { HttpDeps } from "../../http-deps.js";
import { requireAuth } from "../../plugins/authentication.js";
import { authorize, requireScopes } from "../../plugins/authorization.js";
import { ProblemError } from "../../problem.js";
import {
  CreateWebhookSchema,
  DELIVERY_LIMIT_DEFAULT,
  DeleteWebhookSchema,
  ListWebhookDeliveriesSchema,
  ListWebhooksSchema,
  PatchWebhookSchema,
  RetryWebhookDeliverySchema,
} from "./admin-webhooks.schema.js";

const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A webhook as the API shows it: never its secret. */
export function presentWebhook(webhook: Webhook) {
  return {
    id: webhook.id,
    url: webhook.url,
    events: webhook.events,
    description: webhook.description,
    enabled: webhook.enabled,
    createdAt: new Date(webhook.createdAt).toISOString(),
  };
}

export function presentWebhookDelivery(delivery: WebhookDelivery) {
  return {
    id: delivery.id,
    eventType: delivery.eventType,
    status: delivery.status,
    attempts: delivery.attempts,
    lastStatusCode: delivery.lastStatusCode,
    createdAt: new Date(delivery.createdAt).toISOString(),
    deliveredAt: isoOrNull(delivery.deliveredAt),
    lastError: delivery.lastError,
    nextAttemptAt: delivery.status === "pending" ? new Date(delivery.nextAttemptAt).toISOString() : null,
  };
}

/** JSON Pointers into the request body. */
export const webhookProblemPointer = (problem: WebhookInputProblem) =>
  problem.field === "url" ? "/url" : problem.index === null ? "/events" : `/events/${problem.index}`;

const invalid = (problems: WebhookInputProblem[]) =>
  new ProblemError("validation_failed", {
    errors: problems.map((problem) => ({ pointer: webhookProblemPointer(problem), detail: problem.reason })),
  });

function actor(request: FastifyRequest): WebhookActor {
  return { userId: requireAuth(request).userId, client: clientContext(request) };
}

export const adminWebhooksRoutes: FastifyPluginAsyncTypebox<HttpDeps> = async (app, deps) => {
  const reading = {
    config: { apiKey: true },
    onRequest: [app.authenticate, authorize(ADMIN_ROLE), requireScopes(SCOPES.adminRead)],
  };
  const writing = {
    config: { apiKey: true },
    onRequest: [app.authenticate, authorize(ADMIN_ROLE), requireScopes(SCOPES.adminWrite)],
  };

  app.post("/v1/admin/webhooks", { ...writing, schema: CreateWebhookSchema }, async (request, reply) => {
    const outcome = await deps.webhooks.createWebhook(request.body, actor(request));
    if (!outcome.ok) throw invalid(outcome.problems);
    return reply.code(201).send({ webhook: presentWebhook(outcome.webhook), secret: outcome.secret });
  });

  app.get("/v1/admin/webhooks", { ...reading, schema: ListWebhooksSchema }, async () => {
    const webhooks = await deps.webhooks.listWebhooks();
    return { webhooks: webhooks.map(presentWebhook) };
  });

  app.patch("/v1/admin/webhooks/:id", { ...writing, schema: PatchWebhookSchema }, async (request) => {
    const outcome = await deps.webhooks.updateWebhook(request.params.id, request.body, actor(request));
    if (outcome.ok) return { webhook: presentWebhook(outcome.webhook) };
    if (outcome.code === "not_found") throw new ProblemError("not_found");
    throw invalid(outcome.problems);
  });

  app.delete(
    "/v1/admin/webhooks/:id",
    { ...writing, schema: DeleteWebhookSchema },
    async (request, reply) => {
      if (!(await deps.webhooks.deleteWebhook(request.params.id, actor(request))))
        throw new ProblemError("not_found");
      return reply.code(204).send(null);
    },
  );

  app.get(
    "/v1/admin/webhooks/:id/deliveries",
    { ...reading, schema: ListWebhookDeliveriesSchema },
    async (request) => {
      const deliveries = await deps.webhooks.listDeliveries(
        request.params.id,
        request.query.limit ?? DELIVERY_LIMIT_DEFAULT,
      );
      if (deliveries === undefined) throw new ProblemError("not_found");
      return { deliveries: deliveries.map(presentWebhookDelivery) };
    },
  );

  app.post(
    "/v1/admin/webhooks/:id/deliveries/:deliveryId/retry",
    { ...writing, schema: RetryWebhookDeliverySchema },
    async (request, reply) => {
      if (!(await deps.webhooks.retryDelivery(request.params.id, request.params.deliveryId))) {
        throw new ProblemError("not_found");
      }
      return sendAccepted(reply);
    },
  );
};
