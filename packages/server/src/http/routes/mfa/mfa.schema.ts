/** Request and response schemas of /v1/mfa/* and POST /v1/auth/mfa. Unknown properties are refused. */
import { Type } from "@sinclair/typebox";
import { NoContent, problemResponses, TokenResponseSchema } from "../../schemas.js";
import { CookieLoginResponse } from "../auth/auth.schema.js";
import { AuthenticationCredentialSchema } from "../webauthn/webauthn.schema.js";

const security = [{ bearerAuth: [] }, { sessionCookie: [] }];
const Code = Type.String({
  minLength: 1,
  maxLength: 256,
  description: "A six-digit TOTP code, or a backup code",
});
const BackupCodes = Type.Array(Type.String(), {
  description: "Ten single-use codes, shown this once; earlier ones stop working",
});

export const MfaStatusSchema = {
  tags: ["mfa"],
  summary: "Your second factors",
  security,
  response: {
    200: Type.Object(
      {
        mfaEnabled: Type.Boolean(),
        methods: Type.Array(Type.String(), { description: "What a sign-in may finish with" }),
        totp: Type.Union([Type.Literal("disabled"), Type.Literal("pending"), Type.Literal("enabled")]),
        backupCodesRemaining: Type.Integer(),
        passkeys: Type.Integer(),
      },
      { additionalProperties: false },
    ),
    ...problemResponses(401),
  },
};

export const TotpSetupSchema = {
  tags: ["mfa"],
  summary: "Start TOTP setup (needs a recent sign-in); nothing changes until POST /v1/mfa/totp/enable",
  security,
  body: Type.Object({}, { additionalProperties: false }),
  response: {
    200: Type.Object(
      {
        secret: Type.String({ description: "Base32, to type into an authenticator app" }),
        otpauthUrl: Type.String(),
        qrCode: Type.String({ description: "data:image/png;base64,…" }),
      },
      { additionalProperties: false },
    ),
    ...problemResponses(401, 403, 409),
  },
};

export const TotpEnableSchema = {
  tags: ["mfa"],
  summary: "Enable TOTP with a first code from the app; answers the backup codes",
  security,
  body: Type.Object({ code: Code }, { additionalProperties: false }),
  response: {
    200: Type.Object({ backupCodes: BackupCodes }, { additionalProperties: false }),
    ...problemResponses(400, 401, 403, 409, 429),
  },
};

export const TotpDisableSchema = {
  tags: ["mfa"],
  summary: "Disable TOTP (needs a recent sign-in, and a fresh code or the password)",
  security,
  body: Type.Object(
    { code: Type.Optional(Code), password: Type.Optional(Type.String({ maxLength: 4096 })) },
    { additionalProperties: false, minProperties: 1, maxProperties: 1, description: "{code} or {password}" },
  ),
  response: { 204: NoContent, ...problemResponses(400, 401, 403, 409, 429) },
};

export const BackupCodesSchema = {
  tags: ["mfa"],
  summary: "New backup codes (needs a recent sign-in and a fresh code); the old ones stop working",
  security,
  body: Type.Object({ code: Code }, { additionalProperties: false }),
  response: {
    200: Type.Object({ backupCodes: BackupCodes }, { additionalProperties: false }),
    ...problemResponses(400, 401, 403, 409, 429),
  },
};

export const CompleteMfaSchema = {
  tags: ["auth"],
  summary:
    "Finish a sign-in that answered mfaRequired: with a TOTP code, a backup code or a passkey; answers as login did for its transport",
  body: Type.Object(
    {
      mfaToken: Type.String({
        maxLength: 4096,
        description: "From the login answer; anything else is 401 invalid_mfa_token",
      }),
      code: Type.Optional(Type.String({ maxLength: 256, description: "Six-digit TOTP code" })),
      backupCode: Type.Optional(Type.String({ maxLength: 256 })),
      webauthn: Type.Optional(AuthenticationCredentialSchema),
    },
    {
      additionalProperties: false,
      minProperties: 2,
      maxProperties: 2,
      description: "{mfaToken} and exactly one of code, backupCode, webauthn",
    },
  ),
  response: {
    200: Type.Union([Type.Ref(TokenResponseSchema), CookieLoginResponse]),
    ...problemResponses(400, 401, 429),
  },
};
