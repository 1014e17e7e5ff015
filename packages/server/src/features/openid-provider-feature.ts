/**
 * The OpenID provider and its OAuth clients. The clients exist in every configuration (the admin
 * API and the CLI manage them); the provider itself (oidc/provider-feature.ts) is off when the
 * signing algorithm is HS256. Serves /v1/admin/clients and, when on, the provider's endpoints.
 */
import { registrableScopes } from "../domain/oauth-clients/client-registration.js";
import { type ClientService, createClientService } from "../domain/oauth-clients/client-service.js";
import { clientsRoutes } from "../http/routes/admin/clients-routes.js";
import { providerRoutes } from "../http/routes/oidc/provider-routes.js";
import { type ProviderFeature, startProviderFeature } from "../oidc/provider-feature.js";
import type { Accounts } from "./accounts-feature.js";
import type { Platform } from "./platform-feature.js";
import type { Sessions } from "./sessions-feature.js";
import type { SigningKeys } from "./signing-keys-feature.js";

export interface OpenIdProvider {
  /** The OpenID provider's OAuth clients. */
  clients: ClientService;
  /** The OpenID provider; undefined when the signing algorithm is HS256. */
  openId: ProviderFeature | undefined;
}

export function startOpenIdProvider(deps: Platform & SigningKeys & Sessions & Accounts): OpenIdProvider {
  const { config, clock, persistence, sessions, users, ephemeral, log } = deps;
  let openId: ProviderFeature | undefined;
  const clients = createClientService({
    persistence,
    clock,
    rules: {
      allowedScopes: registrableScopes(config.apiScopes),
      allowLoopbackHttp: config.env !== "production",
    },
    // The provider is started below, once the client service it reads clients from exists.
    clientGrants: { revokeEverythingOfClient: async (id) => openId?.provider.revokeEverythingOfClient(id) },
    onListenerError: (error) => log.warn({ err: error }, "an OAuth client change listener failed"),
  });
  openId = startProviderFeature({
    config,
    clock,
    database: deps.deps.database,
    keyRing: deps.keyRing,
    findClientById: (id) => clients.findClientById(id),
    getUser: (id) => users.getUser(id),
    persistence,
    sessions,
    revocations: deps.revocations,
    bus: deps.bus,
    ephemeral,
    log,
  });
  const provider = openId;
  deps.host.onStop(() => provider?.stop());
  deps.host.serve(clientsRoutes);
  deps.host.serveWith(async (app) => {
    if (provider === undefined) return;
    await app.register(providerRoutes, {
      provider: provider.provider,
      jwtTokenRequests: provider.jwtTokenRequests,
      ephemeral,
      publicUrl: config.publicUrl,
      sessions,
      users,
      secureCookies: config.secureCookies,
    });
  });
  return { clients, openId };
}
