/** Schemas of /v1/api-keys. The key itself appears in one response only: the creation's. */
import { Type } from "@sinclair/typebox";
import { NoContent, problemResponses } from "../../schemas.js";

const security = [{ bearerAuth: [] }];

export const ApiKeySchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    prefix: Type.String({ description: "The key's public start, `pc_…`; enough to recognise it" }),
    scopes: Type.Array(Type.String()),
    createdAt: Type.String({ description: "ISO 8601, UTC" }),
    expiresAt: Type.Union([Type.String(), Type.Null()]),
    lastUsedAt: Type.Union([Type.String(), Type.Null()], {
      description: "Written in batches: may lag real use by up to a minute",
    }),
  },
  { additionalProperties: false },
);

export const CreateApiKeySchema = {
  tags: ["api-keys"],
  summary: "Create an API key for yourself; the key is shown in this response only",
  security,
  body: Type.Object(
    {
      name: Type.String({ minLength: 1, maxLength: 100, pattern: "\\S" }),
      scopes: Type.Optional(
        Type.Array(Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9_:.\\-/]{0,63}$" }), {
          maxItems: 32,
          uniqueItems: true,
          description:
            "What the key may do: `events:read`, `admin:read`, `admin:write`, `introspect` (administrators only), or your services' own",
        }),
      ),
      expiresAt: Type.Optional(
        Type.Union([
          Type.String({ maxLength: 40, description: "ISO 8601 date-time, in the future" }),
          Type.Null(),
        ]),
      ),
    },
    { additionalProperties: false },
  ),
  response: {
    201: Type.Object(
      { apiKey: ApiKeySchema, key: Type.String({ description: "`pc_…`: send it as `X-API-Key`" }) },
      { additionalProperties: false },
    ),
    ...problemResponses(400, 401, 403),
  },
};

export const ListApiKeysSchema = {
  tags: ["api-keys"],
  summary: "Your API keys that are not revoked (never the keys themselves)",
  security,
  response: {
    200: Type.Object({ apiKeys: Type.Array(ApiKeySchema) }, { additionalProperties: false }),
    ...problemResponses(401),
  },
};

export const RevokeApiKeySchema = {
  tags: ["api-keys"],
  summary: "Revoke one of your API keys",
  security,
  params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
  response: { 204: NoContent, ...problemResponses(401, 404) },
};
