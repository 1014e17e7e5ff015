/** Schemas of /v1/sessions, the device list (API.md "The signed-in user"). */
import { Type } from "@sinclair/typebox";
import { NoContent, problemResponses } from "../../schemas.js";

const security = [{ bearerAuth: [] }, { sessionCookie: [] }];

export const SessionSchema = Type.Object(
  {
    id: Type.String({ description: "The `sid` of its access tokens, or the `session.id` of a cookie login" }),
    current: Type.Boolean({ description: "The session this request was made with" }),
    transport: Type.Union([Type.Literal("token"), Type.Literal("cookie")]),
    createdAt: Type.String({ description: "ISO 8601, UTC" }),
    lastSeenAt: Type.String({
      description: "Last refresh (tokens) or request (cookies; written at most once a minute)",
    }),
    expiresAt: Type.String({
      description: "When it ends unless used: the idle deadline or the absolute end",
    }),
    ip: Type.Union([Type.String(), Type.Null()], { description: "Where it signed in from" }),
    userAgent: Type.Union([Type.String(), Type.Null()]),
    amr: Type.Array(Type.String(), { description: "RFC 8176 methods of its authentication" }),
  },
  { additionalProperties: false },
);

export const ListSessionsSchema = {
  tags: ["sessions"],
  summary: "Your live sessions (devices), both transports, most recently seen first",
  security,
  response: {
    200: Type.Object({ sessions: Type.Array(SessionSchema) }, { additionalProperties: false }),
    ...problemResponses(401),
  },
};

export const RevokeSessionSchema = {
  tags: ["sessions"],
  summary: "Sign a device out: its tokens or cookie stop working at once",
  security,
  params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
  response: { 204: NoContent, ...problemResponses(401, 403, 404) },
};
