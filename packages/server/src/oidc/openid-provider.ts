/**
 * Portcullis as an OpenID provider (API.md "The OpenID provider"): `oidc-provider` (OpenID
 * Certified) with Portcullis's own parts in every place it would otherwise keep its own —
 * - clients: the client registry (domain/oauth-clients), secrets checked against their SHA-256;
 * - accounts: Portcullis users (`sub` = user id; `email`, `email_verified`, `name` by scope);
 * - storage: its artefacts in the shared SQL database (store/sql/oidc-model-repository.ts);
 * - keys: the current Portcullis signing key; `jwks_uri` is Portcullis's one JWKS;
 * - sign-in: Portcullis's `/login` and consent pages (oidc/interactions.ts); the provider's
 *   session follows the Portcullis cookie session (the `portcullis_session` login check);
 * - access tokens: RFC 9068 JWTs (`aud` the RFC 8707 resource, else PORTCULLIS_AUDIENCE) whose
 *   `sid` is the grant, so revoking the grant (sign-out, device revoked, consent withdrawn,
 *   refresh-token reuse, client deleted) revokes them at once wherever they are verified.
 * The provider is rebuilt when the signing key changes (a rotation here or on another instance).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import Provider, {
  type Account,
  type Adapter,
  type ClientInstance,
  errors,
  interactionPolicy,
  type KoaContextWithOIDC,
  type Token,
} from "oidc-provider";
import type { ResolvedConfig } from "../app.js";
import type { AuditEventType } from "../domain/audit/audit-event.js";
import type { Clock } from "../domain/clock.js";
import type { EphemeralStore } from "../domain/ephemeral/ephemeral-store.js";
import { verifyClientSecret } from "../domain/oauth-clients/client-secret.js";
import type { FindClientById, OAuthClient } from "../domain/oauth-clients/oauth-client.js";
import type { Persistence } from "../domain/persistence.js";
import type { RevocationBus, RevocationSet } from "../domain/sessions/revocation.js";
import type { KeyRing } from "../domain/tokens/key-ring.js";
import type { User } from "../domain/users/user.js";
import {
  createEphemeralOidcModelStore,
  EPHEMERAL_OIDC_MODELS,
} from "../store/ephemeral/ephemeral-oidc-model-store.js";
import type { BackchannelLogoutRepository } from "../store/sql/backchannel-logout-repository.js";
import {
  clientCredentialsSid,
  type OAuthGrantRepository,
  type RevokedGrant,
} from "../store/sql/oauth-grant-repository.js";
import type { OidcModelRepository, OidcModelStore } from "../store/sql/oidc-model-repository.js";
import { deriveCookieKeys } from "./provider-cookie-keys.js";

/** Where the provider's endpoints live (the issuer is PORTCULLIS_PUBLIC_URL). */
export const PROVIDER_ROUTES = {
  authorization: "/oauth2/authorize",
  token: "/oauth2/token",
  end_session: "/oauth2/logout",
  revocation: "/oauth2/revoke",
  introspection: "/oauth2/introspect",
  pushed_authorization_request: "/oauth2/par",
  // Served by Portcullis itself (oidc/userinfo-route.ts, the discovery routes); named for discovery.
  userinfo: "/oauth2/userinfo",
  jwks: "/.well-known/jwks.json",
} as const;

/** The prefix every provider endpoint but discovery shares; the HTTP layer hands these over. */
export const PROVIDER_PATH_PREFIX = "/oauth2/";

/** A signed-in Portcullis session, as the HTTP layer resolved it from the cookie. */
export interface BrowserSession {
  sessionId: string;
  userId: string;
  /** Seconds since the epoch. */
  authTime: number;
  amr: string[];
}

const BROWSER_SESSION = Symbol("portcullis.browserSession");
type RequestWithSession = IncomingMessage & { [BROWSER_SESSION]?: BrowserSession | null };

/** Hands the request's Portcullis session to the provider's hooks (set before `handle`). */
export function attachBrowserSession(request: IncomingMessage, session: BrowserSession | null): void {
  (request as RequestWithSession)[BROWSER_SESSION] = session;
}

export function browserSessionOf(request: IncomingMessage): BrowserSession | null {
  return (request as RequestWithSession)[BROWSER_SESSION] ?? null;
}

export interface OpenIdProviderDeps {
  config: ResolvedConfig;
  clock: Clock;
  keyRing: KeyRing;
  findClientById: FindClientById;
  getUser(id: string): Promise<User | undefined>;
  persistence: Persistence;
  models: OidcModelRepository;
  /** Where interactions and other minutes-long artefacts go when Redis is configured; else SQL. */
  shortLived?: EphemeralStore | undefined;
  grants: OAuthGrantRepository;
  revocations: RevocationSet;
  bus: RevocationBus;
  /** The outbox of back-channel logouts, and what to wake when rows are added. */
  logouts: { outbox: BackchannelLogoutRepository; wake(): void };
  /** Ends the Portcullis session an RP-initiated logout came from. */
  endBrowserSession(session: BrowserSession): Promise<void>;
  log: { warn(object: unknown, message: string): void };
}

export interface OpenIdProvider {
  /** The provider for this request (rebuilt after a key rotation). */
  current(): Provider;
  /** Serves one provider request (the HTTP layer has already resolved the browser session). */
  handle(request: IncomingMessage, response: ServerResponse): void;
  /** Revokes grants (their tokens, and their `sid` everywhere); for the account page and admins. */
  revokeGrants(grantIds: readonly string[]): Promise<void>;
  /** RFC 7009 for an access token: its grant, or the one client-credentials token. */
  revokeAccessToken(sid: string, clientId: string): Promise<void>;
  /** A Portcullis session ended: what it granted ends too, and the clients are told (back-channel). */
  sessionsEnded(sessionIds: readonly string[]): Promise<void>;
  /** A user was disabled or deleted: every grant ends, and the clients are told. */
  userCutOff(userId: string): Promise<void>;
  /** A client was deleted: its consents, grants and tokens go. */
  revokeEverythingOfClient(clientId: string): Promise<void>;
  /** Withdraws a person's consent to a client, ending what it granted. */
  withdrawConsent(userId: string, clientId: string, actorId: string | null): Promise<void>;
  /** Drops expired artefacts and old revoked grants. */
  prune(): Promise<void>;
}

/** `openid`, `profile`, `email`, `offline_access` and the API scopes of PORTCULLIS_SCOPES. */
export function providerScopes(config: ResolvedConfig): string[] {
  return ["openid", "profile", "email", "offline_access", ...config.apiScopes];
}

/** The ID-token and userinfo claims a user's granted scopes release. */
export function userClaims(user: User, scopes: ReadonlySet<string>): Record<string, unknown> {
  const claims: Record<string, unknown> = { sub: user.id };
  if (scopes.has("email")) {
    claims.email = user.email;
    claims.email_verified = user.emailVerified;
  }
  if (scopes.has("profile") && user.name !== null) claims.name = user.name;
  return claims;
}

/** How a registered client looks to `oidc-provider` (OpenID Connect Dynamic Registration metadata). */
function clientMetadata(client: OAuthClient, alg: string): Record<string, unknown> {
  const authorizationCode = client.grantTypes.includes("authorization_code");
  const native = client.redirectUris.some((uri) => !/^https?:/i.test(uri));
  return {
    client_id: client.id,
    client_name: client.name,
    // The SHA-256 of the secret: `compareClientSecret` below hashes what the client presents.
    ...(client.secretHash === null ? {} : { client_secret: client.secretHash }),
    token_endpoint_auth_method: client.type === "public" ? "none" : "client_secret_basic",
    application_type: native ? "native" : "web",
    grant_types: client.grantTypes,
    response_types: authorizationCode ? ["code"] : [],
    redirect_uris: authorizationCode ? client.redirectUris : [],
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    scope: client.scopes.join(" "),
    id_token_signed_response_alg: alg,
    require_auth_time: true,
    first_party: client.firstParty,
    ...(client.backchannelLogoutUri === null
      ? {}
      : { backchannel_logout_uri: client.backchannelLogoutUri, backchannel_logout_session_required: true }),
  };
}

export function createOpenIdProvider(deps: OpenIdProviderDeps): OpenIdProvider {
  const { config, clock, keyRing, grants, models } = deps;
  const { alg } = keyRing.signingKey();
  if (alg === "HS256")
    throw new Error(
      "The OpenID provider needs an asymmetric signing algorithm (ES256, RS256 or EdDSA), not HS256",
    );
  const scopes = providerScopes(config);
  const apiScopes = new Set(config.apiScopes);
  const nowSeconds = () => Math.floor(clock.now() / 1000);

  async function audit(
    type: AuditEventType,
    userId: string | null,
    details: Record<string, string | number | boolean | null>,
    actorId: string | null = userId,
  ) {
    await deps.persistence.audit.appendAuditEvent({
      type,
      userId,
      actorId,
      ip: null,
      userAgent: null,
      details,
      at: clock.now(),
    });
  }

  /** Ends grants everywhere: their stored artefacts, and their `sid` in every verifier. */
  async function announceRevokedGrants(revoked: readonly RevokedGrant[]) {
    await announceRevokedSids(revoked.map((grant) => grant.grantId));
  }

  async function announceRevokedSids(sids: readonly string[]) {
    if (sids.length === 0) return;
    await models.destroyGrants(sids);
    const at = clock.now();
    for (const sessionId of sids) {
      const event = { kind: "session", sessionId, at } as const;
      deps.revocations.apply(event);
      await deps.bus.publish(event);
    }
  }

  /**
   * A code or refresh token is consumed by one request only: of concurrent requests presenting
   * it, the losers are treated as reuse (the grant is revoked), as a later one would be.
   */
  function withSingleUse(store: OidcModelStore): Adapter {
    return {
      ...store,
      async consume(id) {
        if (await store.consume(id)) return;
        const grantId = (await store.find(id))?.grantId;
        if (typeof grantId === "string")
          await announceRevokedGrants(await grants.revokeGrants([grantId], clock.now()));
        throw new errors.InvalidGrant("grant consumed");
      },
    };
  }
  const adapterFor = (name: string): Adapter =>
    name === "Client"
      ? clientAdapter
      : name === "RefreshToken" || name === "AuthorizationCode"
        ? withSingleUse(models.forModel(name))
        : deps.shortLived !== undefined && EPHEMERAL_OIDC_MODELS.has(name)
          ? createEphemeralOidcModelStore(deps.shortLived, clock, name)
          : models.forModel(name);

  const clientAdapter: Adapter = {
    async find(id) {
      const client = await deps.findClientById(id);
      return client === null ? undefined : clientMetadata(client, alg);
    },
    upsert: async () => {},
    findByUid: async () => undefined,
    findByUserCode: async () => undefined,
    consume: async () => {},
    destroy: async () => {},
    revokeByGrantId: async () => {},
  };

  /**
   * Login is asked again when the Portcullis session behind the provider's session has ended or
   * is not the one it was made from (a sign-out, another person on the browser).
   */
  const policy = interactionPolicy.base();
  policy.get("login")?.checks.add(
    new interactionPolicy.Check("portcullis_session", "The Portcullis session ended or changed", (ctx) => {
      const browser = browserSessionOf(ctx.req);
      const session = ctx.oidc.session;
      if (browser === null || session?.accountId === undefined) return interactionPolicy.Check.REQUEST_PROMPT;
      return browser.userId !== session.accountId || browser.authTime !== session.loginTs
        ? interactionPolicy.Check.REQUEST_PROMPT
        : interactionPolicy.Check.NO_NEED_TO_PROMPT;
    }),
    0,
  );

  async function findAccount(_ctx: KoaContextWithOIDC, sub: string): Promise<Account | undefined> {
    const user = await deps.getUser(sub);
    if (user === undefined || user.disabledAt !== null) return undefined;
    return {
      accountId: user.id,
      claims: (_use, scope) => userClaims(user, new Set(scope.split(" "))),
    };
  }

  /** Grants that ended with their session: each client that listens is told (a durable outbox). */
  async function endSessionGrants(revoked: readonly RevokedGrant[]) {
    await announceRevokedGrants(revoked);
    const clients = new Map<string, boolean>();
    for (const { clientId } of revoked) {
      if (!clients.has(clientId))
        clients.set(clientId, (await deps.findClientById(clientId))?.backchannelLogoutUri != null);
    }
    const logouts = revoked.flatMap((grant) =>
      grant.userId !== null && clients.get(grant.clientId) === true
        ? [{ clientId: grant.clientId, subject: grant.userId, oidcSid: grant.oidcSid }]
        : [],
    );
    if (logouts.length === 0) return;
    await deps.logouts.outbox.enqueue(logouts, clock.now());
    deps.logouts.wake();
  }

  /** The claims Portcullis's verifiers require (`sid`, `roles`, `amr`, `auth_time`), per token. */
  async function extraTokenClaims(ctx: KoaContextWithOIDC, token: Token) {
    if (token.kind === "ClientCredentials") {
      await audit(
        "oauth_token.issued",
        null,
        { clientId: token.clientId, grant: "client_credentials" },
        null,
      );
      return {
        sid: clientCredentialsSid(token.clientId, token.jti),
        roles: [],
        amr: [],
        auth_time: nowSeconds(),
      };
    }
    const link = token.grantId === undefined ? undefined : await grants.findGrantSession(token.grantId);
    if (link === undefined) throw new errors.InvalidGrant("grant revoked");
    // Checked at every issue, so a grant outlives neither its session nor its user's access even
    // when the revocation bus lost the news.
    const [session, user] = await Promise.all([
      deps.persistence.sessions.findSessionById(link.sessionId),
      deps.getUser(link.userId),
    ]);
    if (
      session === undefined ||
      session.revokedAt !== null ||
      session.expiresAt <= clock.now() ||
      user === undefined ||
      user.disabledAt !== null
    ) {
      await announceRevokedGrants(await grants.revokeGrants([link.grantId], clock.now()));
      throw new errors.InvalidGrant("grant revoked");
    }
    // The `sid` of this client's ID tokens, for a back-channel logout later.
    const code = ctx.oidc.entities.AuthorizationCode as { sid?: unknown } | undefined;
    if (link.oidcSid == null && typeof code?.sid === "string")
      await grants.setOidcSid(link.grantId, code.sid);
    // Roles are never delegated: a client acts with the scopes it was granted, nothing more.
    await audit("oauth_token.issued", link.userId, { clientId: token.clientId, grant: "authorization" });
    return { sid: link.grantId, roles: [], amr: link.amr, auth_time: link.authTime };
  }

  function build(): Provider {
    const signing = keyRing.signingKey();
    const jwk = { ...signing.key.export({ format: "jwk" }), kid: signing.kid, alg: signing.alg, use: "sig" };
    const accessTokenTtl = config.accessTokenTtlSeconds;
    const provider = new Provider(config.publicUrl, {
      adapter: adapterFor,
      clients: [],
      findAccount,
      claims: {
        acr: null,
        amr: null,
        auth_time: null,
        sid: null,
        // `amr` always: a client can tell a password from a password and a second factor.
        openid: ["sub", "amr"],
        email: ["email", "email_verified"],
        profile: ["name"],
      },
      scopes,
      responseTypes: ["code"],
      pkce: {
        required: (_ctx: KoaContextWithOIDC, client: ClientInstance) => client.clientAuthMethod === "none",
      },
      clientAuthMethods: ["client_secret_basic", "client_secret_post", "none"],
      clientDefaults: {
        grant_types: ["authorization_code"],
        response_types: ["code"],
        id_token_signed_response_alg: signing.alg,
        token_endpoint_auth_method: "client_secret_basic",
      },
      extraClientMetadata: { properties: ["first_party"] },
      enabledJWA: {
        idTokenSigningAlgValues: [signing.alg],
        requestObjectSigningAlgValues: [signing.alg, "ES256", "RS256", "PS256", "EdDSA"],
        dPoPSigningAlgValues: ["ES256", "EdDSA", "RS256", "PS256"],
      },
      allowOmittingSingleRegisteredRedirectUri: false,
      jwks: { keys: [jwk] },
      cookies: {
        keys: deriveCookieKeys(config.secret, config.previousSecrets),
        long: { signed: true, httpOnly: true, sameSite: "lax", secure: config.secureCookies },
        short: { signed: true, httpOnly: true, sameSite: "lax", secure: config.secureCookies },
      },
      routes: PROVIDER_ROUTES,
      discovery: {
        userinfo_endpoint: `${config.publicUrl}${PROVIDER_ROUTES.userinfo}`,
        service_documentation: `${config.publicUrl}/docs`,
      },
      interactions: {
        policy,
        url: (_ctx: KoaContextWithOIDC, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
      },
      features: {
        devInteractions: { enabled: false },
        userinfo: { enabled: false },
        clientCredentials: { enabled: true },
        introspection: { enabled: true },
        revocation: { enabled: true },
        backchannelLogout: { enabled: true },
        rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
        pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false },
        dPoP: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => config.audience,
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx: KoaContextWithOIDC, resource: string) => {
            if (!config.resources.includes(resource)) throw new errors.InvalidTarget();
            return {
              scope: [...apiScopes].join(" "),
              audience: resource,
              accessTokenTTL: accessTokenTtl,
              accessTokenFormat: "jwt",
              jwt: { sign: { alg: signing.alg } },
            };
          },
        },
      },
      extraTokenClaims,
      formats: { customizers: { jwt: withOpenIdScopes } },
      conformIdTokenClaims: false,
      rotateRefreshToken: true,
      ttl: {
        AccessToken: accessTokenTtl,
        ClientCredentials: accessTokenTtl,
        AuthorizationCode: 60,
        IdToken: 3600,
        Interaction: 30 * 60,
        PushedAuthorizationRequest: 60,
        RefreshToken: config.refreshTokenTtlSeconds,
        Grant: config.refreshTokenTtlSeconds,
        Session: config.refreshTokenTtlSeconds,
      },
      renderError,
    });
    provider.proxy = config.trustProxy !== false && config.trustProxy !== 0;
    // Secrets are stored as their SHA-256 (domain/oauth-clients/client-secret.ts): compare that.
    provider.Client.prototype.compareClientSecret = function compareClientSecret(
      this: ClientInstance,
      actual: string,
    ) {
      return typeof this.clientSecret === "string" && verifyClientSecret(actual, this.clientSecret);
    };
    // Work a listener starts is finished before the response leaves (the step below), so a client
    // that gets its answer finds the grant or the session already ended.
    provider.use(async (ctx: KoaContextWithOIDC, next: () => Promise<void>) => {
      await next();
      const work = pendingWork.get(ctx);
      if (work !== undefined) await Promise.all(work);
    });
    const finishBeforeAnswering = (ctx: KoaContextWithOIDC, work: Promise<unknown>, failure: string) => {
      const list = pendingWork.get(ctx) ?? [];
      list.push(work.catch((error: unknown) => deps.log.warn({ err: error }, failure)));
      pendingWork.set(ctx, list);
    };
    provider.on("grant.revoked", (ctx: KoaContextWithOIDC, grantId: string) => {
      // A refresh token or code used twice, or a revocation request: the grant's access tokens go too.
      const clientId = ctx.oidc.client?.clientId ?? null;
      const work = grants
        .revokeGrants([grantId], clock.now())
        .then(announceRevokedGrants)
        .then(() => audit("oauth_grant.revoked", null, { clientId, route: ctx.oidc.route }, null));
      finishBeforeAnswering(ctx, work, "revoking a provider grant failed");
    });
    provider.on("end_session.success", (ctx: KoaContextWithOIDC) => {
      // Both answers of the logout page end here; only "Sign out" (`logout`) signs out of Portcullis.
      const browser = browserSessionOf(ctx.req);
      if (browser === null || !ctx.oidc.params?.logout) return;
      finishBeforeAnswering(ctx, deps.endBrowserSession(browser), "ending the Portcullis session failed");
    });
    provider.on("server_error", (_ctx: KoaContextWithOIDC, error: Error) => {
      deps.log.warn({ err: error }, "OpenID provider error");
    });
    return provider;
  }

  const pendingWork = new WeakMap<KoaContextWithOIDC, Promise<unknown>[]>();
  let built = { version: keyRing.version, provider: build() };
  const current = () => {
    if (built.version !== keyRing.version) built = { version: keyRing.version, provider: build() };
    return built.provider;
  };

  return {
    current,
    handle(request, response) {
      current().callback()(request, response);
    },
    async revokeGrants(grantIds) {
      await announceRevokedGrants(await grants.revokeGrants(grantIds, clock.now()));
    },
    async revokeAccessToken(sid, clientId) {
      if (!sid.startsWith("client:")) {
        await announceRevokedGrants(await grants.revokeGrants([sid], clock.now()));
        return;
      }
      await grants.revokeClientCredentialsToken(sid, clientId, clock.now());
      await announceRevokedSids([sid]);
    },
    async sessionsEnded(sessionIds) {
      await endSessionGrants(await grants.revokeGrantsOfSessions(sessionIds, clock.now()));
    },
    async userCutOff(userId) {
      await endSessionGrants(await grants.revokeGrantsOfUser(userId, clock.now()));
    },
    async revokeEverythingOfClient(clientId) {
      await announceRevokedGrants(await grants.revokeEverythingOfClient(clientId, clock.now()));
      // Its client-credentials tokens name it as `sub`; SQL remembers through `client.deleted`.
      const event = { kind: "user", userId: clientId, at: clock.now() + 1 } as const;
      deps.revocations.apply(event);
      await deps.bus.publish(event);
    },
    async withdrawConsent(userId, clientId, actorId) {
      await announceRevokedGrants(await grants.deleteConsent(userId, clientId, clock.now()));
      await audit("consent.revoked", userId, { clientId }, actorId);
    },
    async prune() {
      const now = clock.now();
      await models.pruneExpired(now);
      await grants.pruneRevoked(now - (config.accessTokenTtlSeconds + 60) * 1000);
    },
  };
}

const OPENID_SCOPES: ReadonlySet<string> = new Set(["openid", "profile", "email", "offline_access"]);

/**
 * An access token's `scope` names the OpenID scopes granted along with the API ones: the
 * provider leaves them out of tokens for a resource, but userinfo (served by Portcullis with this
 * very token) and any resource server reading `scope` need the whole grant.
 */
function withOpenIdScopes(ctx: KoaContextWithOIDC, token: Token, jwt: { payload: Record<string, unknown> }) {
  const source = (ctx.oidc.entities.AuthorizationCode ?? ctx.oidc.entities.RefreshToken) as
    | { scope?: string }
    | undefined;
  if (token.kind !== "AccessToken" || source?.scope === undefined) return;
  const openId = source.scope.split(" ").filter((scope) => OPENID_SCOPES.has(scope));
  const api = typeof jwt.payload.scope === "string" ? jwt.payload.scope.split(" ") : [];
  jwt.payload.scope = [...new Set([...openId, ...api])].filter((scope) => scope !== "").join(" ");
}

/** The provider's own pages, in plain HTML: no script, no style from elsewhere. */
function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head><body><main><h1>${title}</h1>${body}</main></body></html>`;
}

async function logoutSource(ctx: KoaContextWithOIDC, form: string) {
  ctx.type = "html";
  ctx.body = page(
    "Sign out",
    `${form}<p>Do you want to sign out?</p><button type="submit" form="op.logoutForm" value="yes" name="logout">Sign out</button> <button type="submit" form="op.logoutForm">Stay signed in</button>`,
  );
}

async function postLogoutSuccessSource(ctx: KoaContextWithOIDC) {
  ctx.type = "html";
  ctx.body = page("Signed out", "<p>You have been signed out.</p>");
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** An error the provider cannot send back to a client (an unknown client or redirect URI). */
async function renderError(ctx: KoaContextWithOIDC, out: { error?: string; error_description?: string }) {
  ctx.type = "html";
  ctx.body = page(
    "Sign-in request refused",
    `<p role="alert">${escapeHtml(out.error_description ?? "The request could not be accepted.")}</p><p>Error: ${escapeHtml(out.error ?? "invalid_request")}</p>`,
  );
}
