/** Schemas of /v1/me/identities. */
import { Type } from "@sinclair/typebox";
import { NoContent, problemResponses } from "../../schemas.js";

const security = [{ bearerAuth: [] }, { sessionCookie: [] }];

const IdentitySchema = Type.Object(
  {
    id: Type.String(),
    provider: Type.String(),
    email: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String({ description: "ISO 8601, UTC" }),
  },
  { additionalProperties: false },
);

export const ListIdentitiesSchema = {
  tags: ["me"],
  summary: "The social-login identities linked to the account",
  security,
  response: { 200: Type.Object({ identities: Type.Array(IdentitySchema) }), ...problemResponses(401) },
};

export const UnlinkIdentitySchema = {
  tags: ["me"],
  summary: "Unlink an identity; refused when it is the only way left to sign in",
  security,
  params: Type.Object({ id: Type.String({ maxLength: 128 }) }, { additionalProperties: false }),
  response: { 204: NoContent, ...problemResponses(401, 403, 404, 409) },
  description:
    "Needs a sign-in within PORTCULLIS_REAUTH_WINDOW (step-up); otherwise 401 reauthentication_required.",
};
