/**
 * Request and response schemas of /v1/webauthn/*. The credentials a browser returns
 * (`PublicKeyCredential.toJSON()`, or @simplewebauthn/browser's `startRegistration` /
 * `startAuthentication`) are checked for the fields the server reads; the credential objects
 * themselves may carry fields newer browsers add, which are ignored. Everything around them
 * refuses unknown properties as usual.
 */
import { Type } from "@sinclair/typebox";
import { problemResponses, TokenResponseSchema } from "../../schemas.js";
import { CookieLoginResponse, MfaRequiredResponse } from "../auth/auth.schema.js";

const security = [{ bearerAuth: [] }, { sessionCookie: [] }];
const Base64Url = (description?: string) =>
  Type.String({
    pattern: "^[A-Za-z0-9_-]*={0,2}$",
    maxLength: 12_000,
    ...(description ? { description } : {}),
  });

const AuthenticatorAttachment = Type.Optional(
  Type.Union([Type.Literal("platform"), Type.Literal("cross-platform")]),
);

/** `RegistrationResponseJSON` (WebAuthn Level 3 `toJSON()` of a created credential). */
export const RegistrationCredentialSchema = Type.Object({
  id: Base64Url(),
  rawId: Base64Url(),
  type: Type.Literal("public-key"),
  response: Type.Object({
    clientDataJSON: Base64Url(),
    attestationObject: Base64Url(),
    authenticatorData: Type.Optional(Base64Url()),
    transports: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 10 })),
    publicKeyAlgorithm: Type.Optional(Type.Integer()),
    publicKey: Type.Optional(Base64Url()),
  }),
  authenticatorAttachment: AuthenticatorAttachment,
  clientExtensionResults: Type.Object({}),
});

/** `AuthenticationResponseJSON` (the `toJSON()` of an assertion). */
export const AuthenticationCredentialSchema = Type.Object({
  id: Base64Url(),
  rawId: Base64Url(),
  type: Type.Literal("public-key"),
  response: Type.Object({
    clientDataJSON: Base64Url(),
    authenticatorData: Base64Url(),
    signature: Base64Url(),
    userHandle: Type.Optional(Base64Url()),
  }),
  authenticatorAttachment: AuthenticatorAttachment,
  clientExtensionResults: Type.Object({}),
});

/** Options for `navigator.credentials.create/get` (or @simplewebauthn/browser), passed on as they are. */
const CeremonyOptions = (description: string) =>
  Type.Object({ challenge: Type.String() }, { additionalProperties: true, description });

const PasskeySchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    deviceType: Type.String({ description: "singleDevice, or multiDevice for a synced passkey" }),
    backedUp: Type.Boolean(),
    transports: Type.Array(Type.String()),
    createdAt: Type.String({ format: "date-time" }),
    lastUsedAt: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
  },
  { additionalProperties: false },
);

export const RegistrationOptionsSchema = {
  tags: ["webauthn"],
  summary: "Options to register a passkey (needs a recent sign-in)",
  security,
  body: Type.Object({}, { additionalProperties: false }),
  response: {
    200: CeremonyOptions("PublicKeyCredentialCreationOptionsJSON; the challenge lives 5 minutes, once"),
    ...problemResponses(401, 403),
  },
};

export const RegistrationSchema = {
  tags: ["webauthn"],
  summary: "Register a passkey",
  security,
  body: Type.Object(
    { credential: RegistrationCredentialSchema, name: Type.Optional(Type.String({ maxLength: 100 })) },
    { additionalProperties: false },
  ),
  response: {
    201: Type.Object(
      {
        credential: PasskeySchema,
        backupCodes: Type.Optional(
          Type.Array(Type.String(), {
            description: "With the account's first second factor only: ten single-use codes, shown once",
          }),
        ),
      },
      { additionalProperties: false },
    ),
    ...problemResponses(400, 401, 403),
  },
};

export const AuthenticationOptionsSchema = {
  tags: ["webauthn"],
  summary:
    "Options to sign in with a passkey; with an mfaToken, options to use one of that account's passkeys as the second factor",
  body: Type.Object(
    { mfaToken: Type.Optional(Type.String({ maxLength: 4096 })) },
    { additionalProperties: false },
  ),
  response: {
    200: CeremonyOptions("PublicKeyCredentialRequestOptionsJSON; the challenge lives 5 minutes, once"),
    ...problemResponses(400, 401, 429),
  },
};

export const AuthenticationSchema = {
  tags: ["webauthn"],
  summary: "Sign in with a passkey alone (amr hwk); answers like login for the transport asked for",
  body: Type.Object(
    {
      credential: AuthenticationCredentialSchema,
      rememberMe: Type.Optional(Type.Boolean()),
      transport: Type.Optional(Type.Union([Type.Literal("token"), Type.Literal("cookie")])),
    },
    { additionalProperties: false },
  ),
  response: {
    200: Type.Union([Type.Ref(TokenResponseSchema), CookieLoginResponse, MfaRequiredResponse]),
    ...problemResponses(400, 401, 403, 429),
  },
};

export const ListCredentialsSchema = {
  tags: ["webauthn"],
  summary: "Your passkeys",
  security,
  response: {
    200: Type.Object({ credentials: Type.Array(PasskeySchema) }, { additionalProperties: false }),
    ...problemResponses(401),
  },
};

export const DeleteCredentialSchema = {
  tags: ["webauthn"],
  summary: "Remove a passkey (needs a recent sign-in)",
  security,
  params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
  response: { 204: Type.Null(), ...problemResponses(401, 404) },
};
