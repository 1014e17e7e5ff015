/** Schemas of POST /v1/auth/introspect (RFC 7662) and GET /v1/auth/revocations. */
import { Type } from "@sinclair/typebox";
import { problemResponses } from "../../schemas.js";

const security = [{ apiKey: [] }];

export const IntrospectSchema = {
  tags: ["resource servers"],
  summary: "Is this access token or API key active, and whose is it? (RFC 7662; X-API-Key with `introspect`)",
  description:
    "Form-encoded (`token=…`, RFC 7662 §2.1) or JSON. Anything not valid — expired, revoked, garbled, unknown — answers `{active: false}`.",
  security,
  body: Type.Object(
    {
      token: Type.String({ maxLength: 8192 }),
      token_type_hint: Type.Optional(
        Type.String({ maxLength: 64, description: "Accepted and ignored: the token's shape tells" }),
      ),
    },
    { additionalProperties: false },
  ),
  response: {
    200: Type.Object(
      {
        active: Type.Boolean(),
        token_type: Type.Optional(Type.Union([Type.Literal("Bearer"), Type.Literal("api_key")])),
        iss: Type.Optional(Type.String()),
        aud: Type.Optional(Type.String()),
        sub: Type.Optional(Type.String({ description: "The user (an API key: its owner)" })),
        sid: Type.Optional(Type.String({ description: "Access tokens: the session" })),
        jti: Type.Optional(Type.String()),
        key_id: Type.Optional(Type.String({ description: "API keys: the key's id" })),
        scope: Type.Optional(Type.String()),
        roles: Type.Optional(
          Type.Array(Type.String(), { description: "An API key: its owner's current roles" }),
        ),
        amr: Type.Optional(Type.Array(Type.String())),
        auth_time: Type.Optional(Type.Integer()),
        iat: Type.Optional(Type.Integer()),
        exp: Type.Optional(Type.Integer()),
      },
      { additionalProperties: false },
    ),
    ...problemResponses(400, 401, 403, 415, 429),
  },
};

const SessionRevocation = Type.Object(
  { kind: Type.Literal("session"), sessionId: Type.String(), at: Type.Integer({ description: "epoch ms" }) },
  { additionalProperties: false },
);
const UserRevocation = Type.Object(
  { kind: Type.Literal("user"), userId: Type.String(), at: Type.Integer({ description: "epoch ms" }) },
  { additionalProperties: false },
);

export const ListRevocationsSchema = {
  tags: ["resource servers"],
  summary:
    "Revocations since a moment, for resource servers catching up on the revocation bus (X-API-Key with `introspect`)",
  description:
    "The same events as the Redis channel `<prefix>revocations`: a session's tokens are refused; a user's tokens issued before `at` are refused. Only those that can still affect an unexpired access token; `now` is a safe next `since`.",
  security,
  querystring: Type.Object(
    { since: Type.Optional(Type.Integer({ minimum: 0, description: "epoch ms; default the whole window" })) },
    { additionalProperties: false },
  ),
  response: {
    200: Type.Object(
      {
        revocations: Type.Array(Type.Union([SessionRevocation, UserRevocation])),
        now: Type.Integer({ description: "Portcullis's clock when the read started (epoch ms)" }),
      },
      { additionalProperties: false },
    ),
    ...problemResponses(400, 401, 403, 429),
  },
};
