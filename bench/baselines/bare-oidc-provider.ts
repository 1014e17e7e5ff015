/// <reference path="../../packages/server/src/oidc/oidc-provider.d.ts" />
// Baseline of the "openid-provider" scenario: `oidc-provider` (the version Portcullis mounts) on
// bare `node:http`, configured to do the same cryptographic work as Portcullis and nothing more:
// - storage: its default in-memory adapter (no `adapter` option; an LRU of 1000 entries);
// - one ES256 (P-256) key in `jwks`, generated at start; ID tokens ES256;
// - access tokens: RFC 9068 JWTs signed ES256, through resource indicators (`defaultResource`
//   the issuer, `useGrantedResource` on, `getResourceServerInfo` answering `accessTokenFormat:
//   "jwt"` with scope BENCH_SCOPE), as Portcullis configures them;
// - one confidential client (`client_secret_basic`, grants client_credentials and
//   authorization_code, the redirect URI BENCH_REDIRECT_URI, scopes `openid email` and BENCH_SCOPE);
// - cookies signed with a random key (as Portcullis signs its own; the library's default is
//   unsigned), Portcullis's endpoint paths, devInteractions off, client credentials on, every other option its default;
// - a trivial interaction handler at /interaction/:uid: login is a fixed account, consent grants
//   whatever the provider reports missing; each answered with a 303 to the resume URL.
// Environment: PORT (required), HOST (default 127.0.0.1), BENCH_CLIENT_ID, BENCH_CLIENT_SECRET,
// BENCH_REDIRECT_URI, BENCH_SCOPE (all required).
// Run standalone: PORT=3010 BENCH_CLIENT_ID=bench BENCH_CLIENT_SECRET=s3cret \
//   BENCH_REDIRECT_URI=https://app.example.com/callback BENCH_SCOPE=bench:read \
//   node --import tsx bench/baselines/bare-oidc-provider.ts
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import Provider, { type KoaContextWithOIDC, type UnknownObject } from "oidc-provider";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const port = Number(required("PORT"));
const host = process.env.HOST ?? "127.0.0.1";
const issuer = `http://${host}:${port}`;
const scope = required("BENCH_SCOPE");
const ACCOUNT = "bench-account";

const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const jwk = { ...privateKey.export({ format: "jwk" }), kid: "bench-es256", alg: "ES256", use: "sig" };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: required("BENCH_CLIENT_ID"),
      client_secret: required("BENCH_CLIENT_SECRET"),
      token_endpoint_auth_method: "client_secret_basic",
      grant_types: ["client_credentials", "authorization_code"],
      response_types: ["code"],
      redirect_uris: [required("BENCH_REDIRECT_URI")],
      scope: `openid email ${scope}`,
      id_token_signed_response_alg: "ES256",
    },
  ],
  jwks: { keys: [jwk] },
  findAccount: (_ctx: KoaContextWithOIDC, sub: string) => ({
    accountId: sub,
    claims: () => ({ sub, email: "bench@example.com", email_verified: true }),
  }),
  claims: { openid: ["sub"], email: ["email", "email_verified"] },
  scopes: ["openid", "email", scope],
  responseTypes: ["code"],
  // Portcullis's paths, so the driver sends the same requests (and cookie paths) to both.
  routes: { authorization: "/oauth2/authorize", token: "/oauth2/token", jwks: "/.well-known/jwks.json" },
  cookies: {
    keys: [randomBytes(32).toString("base64url")],
    long: { signed: true },
    short: { signed: true },
  },
  interactions: {
    url: (_ctx: KoaContextWithOIDC, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
  },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => issuer,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx: KoaContextWithOIDC, resource: string) => ({
        scope,
        audience: resource,
        accessTokenFormat: "jwt",
        jwt: { sign: { alg: "ES256" } },
      }),
    },
  },
});
const handle = provider.callback();

/** Logs in the fixed account, or grants what the provider reports missing; then back to it. */
async function interaction(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  let result: UnknownObject;
  if (details.prompt.name === "login") {
    result = { login: { accountId: ACCOUNT } };
  } else {
    const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details;
    const grant =
      (details.grantId === undefined ? undefined : await provider.Grant.find(details.grantId)) ??
      new provider.Grant({ accountId: ACCOUNT, clientId: details.params.client_id });
    if (missingOIDCScope !== undefined) grant.addOIDCScope(missingOIDCScope.join(" "));
    if (missingOIDCClaims !== undefined) grant.addOIDCClaims(missingOIDCClaims);
    for (const [resource, scopes] of Object.entries(missingResourceScopes ?? {})) {
      grant.addResourceScope(resource, scopes.join(" "));
    }
    result = { consent: { grantId: await grant.save() } };
  }
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

const server = createServer((req, res) => {
  if (req.url === "/readyz") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"status":"ok"}');
    return;
  }
  if (req.method === "GET" && req.url?.startsWith("/interaction/")) {
    interaction(req, res).catch((error: unknown) => {
      res.writeHead(400, { "content-type": "text/plain" });
      res.end(error instanceof Error ? error.message : "interaction failed");
    });
    return;
  }
  handle(req, res);
});

server.listen(port, host);
// Exit normally on a signal, so that `--cpu-prof` and the like can write their output.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(0));
