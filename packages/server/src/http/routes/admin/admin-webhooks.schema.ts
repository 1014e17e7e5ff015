/**
 * Schemas of /v1/admin/webhooks. The signing secret is in one response only, the creation's; the
 * webhook schema lists the fields a webhook shows, so the sealed secret never leaves.
 */
import { Type } from "@sinclair/typebox";
import { NoContent, problemResponses } from "../../schemas.js";

export const DELIVERY_LIMIT_DEFAULT = 50;

const security = [{ bearerAuth: [] }, { apiKey: [] }];
const guarded = problemResponses(400, 401, 403, 404);

const Url = Type.String({
  minLength: 1,
  maxLength: 2048,
  description:
    "Where deliveries are posted: an absolute https:// URL (http:// outside production). In production a loopback, private, link-local or otherwise non-public address is refused, also when a host name resolves to one at delivery time.",
});
const Events = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
  minItems: 1,
  maxItems: 100,
  description: 'Audit event types (docs/events.md), or "*" for every one',
});
const Description = Type.Union([Type.String({ maxLength: 500 }), Type.Null()]);

export const WebhookSchema = Type.Object(
  {
    id: Type.String(),
    url: Type.String(),
    events: Type.Array(Type.String()),
    description: Type.Union([Type.String(), Type.Null()]),
    enabled: Type.Boolean({
      description: "False when turned off, by an administrator or after failing for a day",
    }),
    createdAt: Type.String({ description: "ISO 8601, UTC" }),
  },
  { additionalProperties: false },
);

export const WebhookDeliverySchema = Type.Object(
  {
    id: Type.String({ description: "The `webhook-id` header of every attempt" }),
    eventType: Type.String(),
    status: Type.Union([Type.Literal("pending"), Type.Literal("delivered"), Type.Literal("failed")]),
    attempts: Type.Integer(),
    lastStatusCode: Type.Union([Type.Integer(), Type.Null()]),
    createdAt: Type.String({ description: "ISO 8601, UTC" }),
    deliveredAt: Type.Union([Type.String(), Type.Null()]),
    lastError: Type.Union([Type.String(), Type.Null()], {
      description: "Why the last attempt failed, in a few words (`answered 500`, `connection refused`, …)",
    }),
    nextAttemptAt: Type.Union([Type.String(), Type.Null()], {
      description: "When a pending delivery is tried next",
    }),
  },
  { additionalProperties: false },
);

const WebhookId = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const CreateWebhookSchema = {
  tags: ["admin"],
  summary: "Register a webhook; its signing secret is shown in this response only",
  security,
  body: Type.Object(
    { url: Url, events: Events, description: Type.Optional(Description) },
    { additionalProperties: false },
  ),
  response: {
    201: Type.Object(
      {
        webhook: WebhookSchema,
        secret: Type.String({
          description:
            "`whsec_` + base64 of 32 random bytes: the key of the `webhook-signature` HMAC (Standard Webhooks)",
        }),
      },
      { additionalProperties: false },
    ),
    ...guarded,
  },
};

export const ListWebhooksSchema = {
  tags: ["admin"],
  summary: "Every webhook, oldest first (never a secret)",
  security,
  response: {
    200: Type.Object({ webhooks: Type.Array(WebhookSchema) }, { additionalProperties: false }),
    ...guarded,
  },
};

export const PatchWebhookSchema = {
  tags: ["admin"],
  summary: "Change a webhook's URL, events or description, or turn it off or on again",
  security,
  params: WebhookId,
  body: Type.Object(
    {
      url: Type.Optional(Url),
      events: Type.Optional(Events),
      description: Type.Optional(Description),
      enabled: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  response: { 200: Type.Object({ webhook: WebhookSchema }, { additionalProperties: false }), ...guarded },
};

export const DeleteWebhookSchema = {
  tags: ["admin"],
  summary: "Delete a webhook and its deliveries",
  security,
  params: WebhookId,
  response: { 204: NoContent, ...guarded },
};

export const ListWebhookDeliveriesSchema = {
  tags: ["admin"],
  summary: "A webhook's deliveries, newest first",
  security,
  params: WebhookId,
  querystring: Type.Object(
    { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: DELIVERY_LIMIT_DEFAULT })) },
    { additionalProperties: false },
  ),
  response: {
    200: Type.Object({ deliveries: Type.Array(WebhookDeliverySchema) }, { additionalProperties: false }),
    ...guarded,
  },
};

export const RetryWebhookDeliverySchema = {
  tags: ["admin"],
  summary: "Make a delivery due now (a failed one pending again); it goes out when its webhook is enabled",
  security,
  params: Type.Object({
    id: Type.String({ minLength: 1, maxLength: 64 }),
    deliveryId: Type.String({ minLength: 1, maxLength: 64 }),
  }),
  body: Type.Object({}, { additionalProperties: false }),
  response: { 202: NoContent, ...guarded },
};
