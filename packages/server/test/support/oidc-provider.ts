/**
 * A real OpenID provider on loopback for tests: `oidc-provider` (panva's certified OP) with one
 * confidential client registered for Portcullis, PKCE required, RS256 ID tokens, and a small
 * interaction handler of its own: `/interaction/:uid` serves an HTML login form, then a consent
 * form with "Allow" and "Deny" buttons (Deny ends the flow with `error=access_denied`). Whoever
 * fills in the login form signs in as the user last given to `setNextUser`, with exactly those
 * claims (`email_verified` included), so a test decides who the provider says signed in.
 *
 * @example
 * const idp = await startOidcProvider({ redirectUris: [`${PUBLIC_URL}/v1/oauth/testidp/callback`] });
 * idp.setNextUser({ sub: "alice", email: "alice@example.com", email_verified: true });
 * const t = await createTestApp({ env: idp.portcullisEnv("testidp") });
 * // … drive the flow (test/support/browser.ts) …
 * await idp.close();
 */
import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";

export interface ProviderUser {
  sub: string;
  email?: string;
  /** What the provider asserts; leave out to send no `email_verified` claim at all. */
  email_verified?: boolean;
  name?: string;
}

export interface OidcProviderOptions {
  /** The redirect URIs registered for the client, e.g. `${PUBLIC_URL}/v1/oauth/<id>/callback`. */
  redirectUris: string[];
  clientId?: string;
  clientSecret?: string;
}

export interface TestOidcProvider {
  /** `http://127.0.0.1:<port>`: the issuer identifier, also the discovery base. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Who the next completed login form signs in as. */
  setNextUser(user: ProviderUser): void;
  /** `PORTCULLIS_OAUTH_<ID>_*` for a Portcullis that uses this provider as `id`. */
  portcullisEnv(id: string): Record<string, string>;
  /** How many token requests the provider has answered (successfully or not). */
  tokenRequests(): number;
  close(): Promise<void>;
}

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body>${body}</body></html>`;
}

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

export async function startOidcProvider(options: OidcProviderOptions): Promise<TestOidcProvider> {
  const clientId = options.clientId ?? "portcullis";
  const clientSecret = options.clientSecret ?? randomBytes(24).toString("base64url");
  const accounts = new Map<string, ProviderUser>();
  let nextUser: ProviderUser = { sub: randomUUID(), email: "user@example.com", email_verified: true };
  let tokenRequests = 0;

  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const signingKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: options.redirectUris,
        response_types: ["code"],
        grant_types: ["authorization_code"],
        token_endpoint_auth_method: "client_secret_post",
      },
    ],
    jwks: { keys: [{ ...signingKey, use: "sig", kid: "test-key" }] },
    cookies: { keys: [randomBytes(32).toString("hex")] },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      Grant: 3600,
      IdToken: 600,
      Interaction: 600,
      Session: 3600,
    },
    async findAccount(_ctx: unknown, id: string) {
      const user = accounts.get(id);
      if (user === undefined) return undefined;
      return { accountId: id, claims: async () => ({ ...user }) };
    },
    async renderError(ctx: { type: string; body: unknown }, out: Record<string, unknown>) {
      ctx.type = "json";
      ctx.body = out;
    },
  });
  provider.on("grant.success", () => tokenRequests++);
  provider.on("grant.error", () => tokenRequests++);
  const oidcHandler = provider.callback();

  async function interaction(
    request: IncomingMessage,
    response: ServerResponse,
    uid: string,
    action: string,
  ) {
    const details = await provider.interactionDetails(request, response);
    if (details.uid !== uid) throw new Error("interaction mismatch");
    if (request.method === "GET" && action === "") {
      const html =
        details.prompt.name === "login"
          ? page(
              "Sign in",
              `<form method="post" action="/interaction/${uid}/login"><input name="login"><input name="password" type="password"><button>Sign in</button></form>`,
            )
          : page(
              "Authorize",
              `<form method="post" action="/interaction/${uid}/confirm"><button>Allow</button></form><form method="post" action="/interaction/${uid}/abort"><button>Deny</button></form>`,
            );
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html);
      return;
    }
    await readForm(request);
    if (action === "login") {
      accounts.set(nextUser.sub, nextUser);
      await provider.interactionFinished(
        request,
        response,
        { login: { accountId: nextUser.sub } },
        { mergeWithLastSubmission: false },
      );
    } else if (action === "confirm") {
      const accountId = details.session?.accountId ?? "";
      const grant =
        details.grantId === undefined
          ? new provider.Grant({ accountId, clientId: details.params.client_id })
          : ((await provider.Grant.find(details.grantId)) ??
            new provider.Grant({ accountId, clientId: details.params.client_id }));
      if (details.prompt.details.missingOIDCScope)
        grant.addOIDCScope(details.prompt.details.missingOIDCScope.join(" "));
      if (details.prompt.details.missingOIDCClaims)
        grant.addOIDCClaims(details.prompt.details.missingOIDCClaims);
      await provider.interactionFinished(
        request,
        response,
        { consent: { grantId: await grant.save() } },
        { mergeWithLastSubmission: true },
      );
    } else {
      await provider.interactionFinished(
        request,
        response,
        { error: "access_denied", error_description: "End-User denied consent" },
        { mergeWithLastSubmission: false },
      );
    }
  }

  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    const match = /^\/interaction\/([^/?]+)\/?([a-z]*)/.exec(request.url ?? "");
    if (match === null) {
      oidcHandler(request, response);
      return;
    }
    interaction(request, response, match[1] ?? "", match[2] ?? "").catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(400, { "content-type": "text/plain" });
      response.end(String(error));
    });
  });

  return {
    issuer,
    clientId,
    clientSecret,
    setNextUser(user) {
      nextUser = user;
    },
    portcullisEnv(id) {
      const prefix = `PORTCULLIS_OAUTH_${id.toUpperCase()}`;
      return {
        [`${prefix}_CLIENT_ID`]: clientId,
        [`${prefix}_CLIENT_SECRET`]: clientSecret,
        [`${prefix}_ISSUER`]: issuer,
      };
    },
    tokenRequests: () => tokenRequests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
