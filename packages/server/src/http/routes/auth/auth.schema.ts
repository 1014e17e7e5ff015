/** Request and response schemas of /v1/auth/*. Unknown properties are refused everywhere. */
import { Type } from "@sinclair/typebox";
import { NoContent, problemResponses, TokenResponseSchema, UserSchema } from "../../schemas.js";

const Email = Type.String({
  minLength: 1,
  maxLength: 320,
  description: "Compared after trim, NFKC and lower-casing",
});

export const RegisterSchema = {
  tags: ["auth"],
  summary: "Create an account",
  body: Type.Object(
    {
      email: Email,
      password: Type.String({ description: "8–256 characters; common passwords are refused" }),
      name: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
    },
    { additionalProperties: false },
  ),
  response: {
    201: Type.Object({ user: Type.Ref(UserSchema) }),
    202: Type.Null({
      description: "With PORTCULLIS_EMAIL_TAKEN=notify: accepted, for new and taken addresses alike",
    }),
    ...problemResponses(400, 409, 429),
  },
};

export const CookieLoginResponse = Type.Object(
  {
    user: Type.Ref(UserSchema),
    session: Type.Object(
      { id: Type.String(), expiresAt: Type.String({ format: "date-time" }) },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, description: 'transport "cookie": the session travels in pc_session' },
);

/** API.md: the account has a second factor; finish with POST /v1/auth/mfa. */
export const MfaRequiredResponse = Type.Object(
  {
    mfaRequired: Type.Literal(true),
    mfaToken: Type.String({ description: "Single use, 5 minutes, 5 attempts; only for POST /v1/auth/mfa" }),
    methods: Type.Array(
      Type.Union([Type.Literal("totp"), Type.Literal("backup_code"), Type.Literal("webauthn")]),
    ),
  },
  { additionalProperties: false, description: "A second factor is needed: POST /v1/auth/mfa" },
);

export const LoginSchema = {
  tags: ["auth"],
  summary: "Sign in with email and password",
  body: Type.Object(
    {
      email: Type.String({ maxLength: 1024 }),
      password: Type.String({ maxLength: 4096 }),
      rememberMe: Type.Optional(Type.Boolean()),
      transport: Type.Optional(Type.Union([Type.Literal("token"), Type.Literal("cookie")])),
    },
    { additionalProperties: false },
  ),
  response: {
    200: Type.Union([Type.Ref(TokenResponseSchema), CookieLoginResponse, MfaRequiredResponse]),
    ...problemResponses(400, 401, 403, 429, 503),
  },
};

export const ReauthenticateSchema = {
  tags: ["auth"],
  summary:
    "Confirm your password, or a code of your second factor (TOTP or backup code), to renew auth_time (step-up): new tokens for a token session, a new cookie for a cookie session",
  security: [{ bearerAuth: [] }, { sessionCookie: [] }],
  body: Type.Object(
    {
      password: Type.Optional(Type.String({ maxLength: 4096 })),
      code: Type.Optional(
        Type.String({ minLength: 1, maxLength: 256, description: "A TOTP or backup code" }),
      ),
    },
    { additionalProperties: false, minProperties: 1, maxProperties: 1, description: "{password} or {code}" },
  ),
  response: {
    200: Type.Union([Type.Ref(TokenResponseSchema), CookieLoginResponse]),
    ...problemResponses(400, 401, 403, 429, 503),
  },
};

export const RefreshSchema = {
  tags: ["auth"],
  summary: "Exchange a refresh token for new tokens (the refresh token rotates)",
  body: Type.Object(
    { refreshToken: Type.Optional(Type.String()) },
    { additionalProperties: false, description: "Or send the pc_refresh cookie" },
  ),
  response: { 200: Type.Ref(TokenResponseSchema), ...problemResponses(400, 401) },
};

export const LogoutSchema = {
  tags: ["auth"],
  summary: "Revoke the current session",
  security: [{ bearerAuth: [] }],
  body: Type.Object({ refreshToken: Type.Optional(Type.String()) }, { additionalProperties: false }),
  response: { 204: NoContent, ...problemResponses(401) },
};

export const LogoutAllSchema = {
  tags: ["auth"],
  summary: "Revoke every session of the user",
  security: [{ bearerAuth: [] }],
  body: Type.Object({}, { additionalProperties: false }),
  response: { 204: NoContent, ...problemResponses(401) },
};
