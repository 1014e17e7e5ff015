/** Schemas of /v1/me. */
import { Type } from "@sinclair/typebox";
import { NoContent, problemResponses, UserSchema } from "../../schemas.js";
import { Accepted } from "../recovery/recovery.schema.js";

const security = [{ bearerAuth: [] }];

export const GetMeSchema = {
  tags: ["me"],
  summary: "The signed-in user",
  security: [...security, { apiKey: [] }],
  response: { 200: Type.Object({ user: Type.Ref(UserSchema) }), ...problemResponses(401) },
};

export const PatchMeSchema = {
  tags: ["me"],
  summary: "Update the profile",
  security,
  body: Type.Object(
    { name: Type.Union([Type.String({ maxLength: 200 }), Type.Null()]) },
    { additionalProperties: false },
  ),
  response: { 200: Type.Object({ user: Type.Ref(UserSchema) }), ...problemResponses(400, 401) },
};

export const ChangePasswordSchema = {
  tags: ["me"],
  summary:
    "Change the password (or set a first one, after a recent social sign-in); every other session is revoked",
  security,
  body: Type.Object(
    {
      currentPassword: Type.Optional(
        Type.String({
          maxLength: 4096,
          description: "Required when the account has a password; omitted (or empty) to set a first one",
        }),
      ),
      newPassword: Type.String({ maxLength: 4096 }),
    },
    { additionalProperties: false },
  ),
  response: { 204: NoContent, ...problemResponses(400, 401, 429) },
};

export const ChangeEmailSchema = {
  tags: ["me"],
  summary:
    "Change the email address (step-up): 202 whether or not the address is taken; a link to the new address confirms it",
  security,
  body: Type.Object(
    {
      newEmail: Type.String({
        minLength: 1,
        maxLength: 320,
        description: "Compared after trim, NFKC and lower-casing, as at registration",
      }),
    },
    { additionalProperties: false },
  ),
  response: { 202: Accepted, ...problemResponses(400, 401, 403, 429) },
};

export const DeleteMeSchema = {
  tags: ["me"],
  summary: "Delete the account and everything it owns (step-up); its tokens and cookies stop working at once",
  security,
  response: { 204: NoContent, ...problemResponses(401, 403, 409) },
};
