/** Schemas of GET /v1/me/events and the event objects shared with the admin API. */
import { Type } from "@sinclair/typebox";
import { problemResponses } from "../../schemas.js";

export const EVENT_LIMIT_DEFAULT = 50;
export const EVENT_LIMIT_MAX = 200;

const eventFields = {
  id: Type.String(),
  type: Type.String({ description: "`<noun>.<past-verb>`; see docs/events.md" }),
  at: Type.String({ description: "ISO 8601, UTC" }),
  ip: Type.Union([Type.String(), Type.Null()]),
  userAgent: Type.Union([Type.String(), Type.Null()]),
  details: Type.Record(Type.String(), Type.Unknown()),
};

export const MyEventSchema = Type.Object(eventFields, { additionalProperties: false });

export const AdminEventSchema = Type.Object(
  {
    ...eventFields,
    userId: Type.Union([Type.String(), Type.Null()], { description: "The subject" }),
    actorId: Type.Union([Type.String(), Type.Null()], { description: "Who acted; null for the system" }),
  },
  { additionalProperties: false },
);

export const EventLimit = Type.Integer({
  minimum: 1,
  maximum: EVENT_LIMIT_MAX,
  default: EVENT_LIMIT_DEFAULT,
});

export const ListMyEventsSchema = {
  tags: ["me"],
  summary: "Your security events, newest first",
  security: [{ bearerAuth: [] }, { apiKey: [] }],
  querystring: Type.Object({ limit: Type.Optional(EventLimit) }, { additionalProperties: false }),
  response: {
    200: Type.Object({ events: Type.Array(MyEventSchema) }, { additionalProperties: false }),
    ...problemResponses(400, 401, 403),
  },
};
