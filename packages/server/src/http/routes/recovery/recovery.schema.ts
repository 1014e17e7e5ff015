/** Schemas of /v1/password/* and /v1/email/*. Unknown properties are refused everywhere. */
import { Type } from "@sinclair/typebox";
import { NoContent, problemResponses, UserSchema } from "../../schemas.js";

const Token = Type.String({
  minLength: 1,
  maxLength: 512,
  description: "The token from the link in the mail",
});

export const Accepted = Type.Null({ description: "Accepted; no content" });

export const ForgotPasswordSchema = {
  tags: ["recovery"],
  summary: "Ask for a password-reset mail; 202 whether or not the address has an account",
  body: Type.Object(
    {
      email: Type.String({
        minLength: 1,
        maxLength: 320,
        description: "Compared after trim, NFKC and lower-casing",
      }),
    },
    { additionalProperties: false },
  ),
  response: { 202: Accepted, ...problemResponses(400, 429) },
};

export const ResetPasswordSchema = {
  tags: ["recovery"],
  summary: "Choose a new password with a reset token; every session is revoked and nobody is signed in",
  body: Type.Object(
    {
      token: Token,
      password: Type.String({
        maxLength: 4096,
        description: "8–256 characters; common passwords are refused",
      }),
    },
    { additionalProperties: false },
  ),
  response: { 204: NoContent, ...problemResponses(400, 429, 503) },
};

export const VerifyEmailSchema = {
  tags: ["recovery"],
  summary: "Confirm the email address with the token from the verification mail",
  body: Type.Object({ token: Token }, { additionalProperties: false }),
  response: { 200: Type.Object({ user: Type.Ref(UserSchema) }), ...problemResponses(400, 429) },
};

export const ResendVerificationSchema = {
  tags: ["recovery"],
  summary: "Send the verification mail again (nothing is sent once the address is verified)",
  security: [{ bearerAuth: [] }],
  body: Type.Object({}, { additionalProperties: false }),
  response: { 202: Accepted, ...problemResponses(401, 429) },
};

export const ConfirmEmailChangeSchema = {
  tags: ["recovery"],
  summary: "Move the account to its new address with the token from the confirmation mail",
  body: Type.Object({ token: Token }, { additionalProperties: false }),
  response: { 200: Type.Object({ user: Type.Ref(UserSchema) }), ...problemResponses(400, 409, 429) },
};
