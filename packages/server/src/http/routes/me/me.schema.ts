/** Schemas of /v1/me. */
import { Type } from "@sinclair/typebox";
import { NoContent, problemResponses, UserSchema } from "../../schemas.js";

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
  summary: "Change the password; every other session is revoked",
  security,
  body: Type.Object(
    { currentPassword: Type.String({ maxLength: 4096 }), newPassword: Type.String({ maxLength: 4096 }) },
    { additionalProperties: false },
  ),
  response: { 204: NoContent, ...problemResponses(400, 401, 429) },
};
