/** Schemas of the social-login endpoints: /v1/oauth/:provider/{start,callback} and POST /v1/auth/exchange. */
import { Type } from "@sinclair/typebox";
import { MAX_REDIRECT_LENGTH } from "../../../domain/oauth/redirect-allowlist.js";
import { problemResponses, TokenResponseSchema, UserSchema } from "../../schemas.js";

const ProviderParams = Type.Object(
  {
    provider: Type.String({ maxLength: 64, description: "`google`, `github`, or a configured issuer's id" }),
  },
  { additionalProperties: false },
);

const Redirect = Type.Null({
  description: "302 Found: `Location` is the provider's authorization URL (start) or `redirectTo` (callback)",
});

export const StartSchema = {
  tags: ["social login"],
  summary: "Start signing in (or, with link=1, linking) with a provider: 302 to the provider",
  description:
    "Sets a short-lived HttpOnly cookie that binds the flow to this browser. With `link=1` the caller must be signed in, within PORTCULLIS_REAUTH_WINDOW (step-up): with the session cookie the answer is the 302; with a bearer token (a browser cannot attach one to a navigation) it is `200 {authorizationUrl}`, and the binding cookie is set on that answer, so call it from a page of this server's site with credentials included.",
  params: ProviderParams,
  querystring: Type.Object(
    {
      redirectTo: Type.Optional(
        Type.String({
          maxLength: MAX_REDIRECT_LENGTH,
          description: "Must match PORTCULLIS_REDIRECT_ALLOWLIST",
        }),
      ),
      transport: Type.Optional(Type.Union([Type.Literal("token"), Type.Literal("cookie")])),
      link: Type.Optional(Type.Union([Type.Literal("1"), Type.Literal("true")])),
    },
    { additionalProperties: false },
  ),
  response: {
    200: Type.Object(
      { authorizationUrl: Type.String() },
      { additionalProperties: false, description: "link=1 with a bearer token" },
    ),
    302: Redirect,
    ...problemResponses(400, 401, 404, 429, 503),
  },
};

export const CallbackSchema = {
  tags: ["social login"],
  summary:
    "Where the provider returns the browser: 302 to redirectTo with ?code= (or the session cookie), or ?error=",
  params: ProviderParams,
  // Providers add parameters of their own (`iss`, `scope`, `authuser` …); openid-client checks the ones that matter.
  querystring: Type.Object(
    {
      state: Type.Optional(Type.String({ maxLength: 512 })),
      code: Type.Optional(Type.String({ maxLength: 4096 })),
      error: Type.Optional(Type.String({ maxLength: 256 })),
    },
    { additionalProperties: true },
  ),
  response: { 302: Redirect, ...problemResponses(400, 404, 429) },
};

/** As at login: an account with a second factor answers this instead of a session. */
const MfaRequiredResponse = Type.Object(
  {
    mfaRequired: Type.Literal(true),
    mfaToken: Type.String(),
    methods: Type.Array(Type.String()),
  },
  { additionalProperties: false, description: "Finish with POST /v1/auth/mfa" },
);

const CookieSignInResponse = Type.Object(
  {
    user: Type.Ref(UserSchema),
    session: Type.Object(
      { id: Type.String(), expiresAt: Type.String({ format: "date-time" }) },
      { additionalProperties: false },
    ),
  },
  {
    additionalProperties: false,
    description: "A cookie sign-in (only after a second factor interrupted it)",
  },
);

export const ExchangeSchema = {
  tags: ["auth"],
  summary: "Exchange the one-time code of a social-login redirect for a token response",
  description:
    "The code lives 60 seconds and works once. When the account has a second factor the answer is `mfaRequired`, as at login.",
  body: Type.Object({ code: Type.String({ maxLength: 256 }) }, { additionalProperties: false }),
  response: {
    200: Type.Union([Type.Ref(TokenResponseSchema), MfaRequiredResponse, CookieSignInResponse]),
    ...problemResponses(400, 403, 429),
  },
};
