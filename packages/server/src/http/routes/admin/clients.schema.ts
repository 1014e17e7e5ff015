/**
 * Schemas of /v1/admin/clients (API.md "Client administration"). The client object lists what
 * a client shows — never its secret or the secret's hash; `clientSecret` appears in the
 * creation's and the rotation's answers only. Bodies are checked for shape here; the rules
 * (redirect URIs, grant types, scopes) are the domain's, so the API, the console and the CLI agree.
 */
import { Type } from "@sinclair/typebox";
import {
  CLIENT_MAX_SCOPES,
  CLIENT_MAX_URIS,
  CLIENT_NAME_MAX_LENGTH,
  CLIENT_URI_MAX_LENGTH,
} from "../../../domain/oauth-clients/client-registration.js";
import { GRANT_TYPES } from "../../../domain/oauth-clients/oauth-client.js";
import { NoContent, problemResponses } from "../../schemas.js";

const security = [{ bearerAuth: [] }, { apiKey: [] }];
const guarded = problemResponses(400, 401, 403, 404);

const ClientType = Type.Union([Type.Literal("confidential"), Type.Literal("public")], {
  description:
    "`confidential`: a server-side app that keeps a secret; `public`: a browser or native app (PKCE, no secret)",
});

export const OAuthClientSchema = Type.Object(
  {
    id: Type.String({ description: "The `client_id`" }),
    name: Type.String(),
    type: ClientType,
    redirectUris: Type.Array(Type.String()),
    postLogoutRedirectUris: Type.Array(Type.String()),
    grantTypes: Type.Array(Type.String()),
    scopes: Type.Array(Type.String()),
    firstParty: Type.Boolean({ description: "Skips the consent page" }),
    backchannelLogoutUri: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String({ description: "ISO 8601, UTC" }),
    updatedAt: Type.String({ description: "ISO 8601, UTC" }),
  },
  { additionalProperties: false },
);

const Uri = Type.String({ minLength: 1, maxLength: CLIENT_URI_MAX_LENGTH });
const uriList = (description: string) =>
  Type.Array(Uri, { maxItems: CLIENT_MAX_URIS, uniqueItems: true, description });

const settings = {
  name: Type.String({ minLength: 1, maxLength: CLIENT_NAME_MAX_LENGTH }),
  redirectUris: uriList(
    "Matched exactly. `https://`, `http://` on a loopback host outside production, or a private-use scheme (`com.example.app:/cb`) for public clients; no fragment, no wildcard. Required with `authorization_code`",
  ),
  postLogoutRedirectUris: uriList("Where `end_session_endpoint` may send the browser; the same rules"),
  grantTypes: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
    maxItems: GRANT_TYPES.length,
    uniqueItems: true,
    description: `Some of ${GRANT_TYPES.map((grant) => `\`${grant}\``).join(", ")}; a public client cannot have \`client_credentials\`, \`refresh_token\` needs \`authorization_code\``,
  }),
  scopes: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
    maxItems: CLIENT_MAX_SCOPES,
    uniqueItems: true,
    description: "Some of `openid profile email offline_access` and the scopes of `PORTCULLIS_SCOPES`",
  }),
  firstParty: Type.Boolean({ description: "Our own app: the consent page is skipped. Default false" }),
  backchannelLogoutUri: Type.Union([Uri, Type.Null()], {
    description: "OpenID Connect Back-Channel Logout: `https://` (or loopback `http://` outside production)",
  }),
};

const ClientId = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const ClientBody = Type.Object({ client: OAuthClientSchema }, { additionalProperties: false });
const ClientSecret = Type.String({ description: "Shown this once; only its SHA-256 is kept" });

export const CreateClientSchema = {
  tags: ["admin"],
  summary: "Register an OAuth client; a confidential client's secret is in this answer only",
  security,
  body: Type.Object(
    {
      name: settings.name,
      type: ClientType,
      redirectUris: Type.Optional(settings.redirectUris),
      postLogoutRedirectUris: Type.Optional(settings.postLogoutRedirectUris),
      grantTypes: settings.grantTypes,
      scopes: settings.scopes,
      firstParty: Type.Optional(settings.firstParty),
      backchannelLogoutUri: Type.Optional(settings.backchannelLogoutUri),
    },
    { additionalProperties: false },
  ),
  response: {
    201: Type.Object(
      { client: OAuthClientSchema, clientSecret: Type.Optional(ClientSecret) },
      { additionalProperties: false },
    ),
    ...problemResponses(400, 401, 403),
  },
};

export const ListClientsSchema = {
  tags: ["admin"],
  summary: "Every OAuth client, oldest first (never a secret)",
  security,
  response: {
    200: Type.Object({ clients: Type.Array(OAuthClientSchema) }, { additionalProperties: false }),
    ...guarded,
  },
};

export const GetClientSchema = {
  tags: ["admin"],
  summary: "One OAuth client",
  security,
  params: ClientId,
  response: { 200: ClientBody, ...guarded },
};

export const PatchClientSchema = {
  tags: ["admin"],
  summary: "Change any of a client's settings but its type; lists replace the old ones",
  security,
  params: ClientId,
  body: Type.Object(
    {
      name: Type.Optional(settings.name),
      redirectUris: Type.Optional(settings.redirectUris),
      postLogoutRedirectUris: Type.Optional(settings.postLogoutRedirectUris),
      grantTypes: Type.Optional(settings.grantTypes),
      scopes: Type.Optional(settings.scopes),
      firstParty: Type.Optional(settings.firstParty),
      backchannelLogoutUri: Type.Optional(settings.backchannelLogoutUri),
      type: Type.Optional(
        Type.String({
          maxLength: 64,
          description: "Refused (400): the type is fixed when the client is made",
        }),
      ),
    },
    { additionalProperties: false },
  ),
  response: { 200: ClientBody, ...guarded },
};

export const RotateClientSecretSchema = {
  tags: ["admin"],
  summary: "Give a confidential client a new secret; the old one stops working at once",
  security,
  params: ClientId,
  body: Type.Object({}, { additionalProperties: false }),
  response: {
    200: Type.Object({ clientSecret: ClientSecret }, { additionalProperties: false }),
    ...guarded,
  },
};

export const DeleteClientSchema = {
  tags: ["admin"],
  summary: "Delete an OAuth client; its grants and tokens are revoked",
  security,
  params: ClientId,
  response: { 204: NoContent, ...guarded },
};
