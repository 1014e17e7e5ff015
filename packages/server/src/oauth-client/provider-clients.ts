/** Builds the provider clients of the configuration, keyed by provider id. Nothing is fetched until first use. */
import type { ProviderClient } from "../domain/oauth/provider-client.js";
import { type OAuthProviderSettings, oauthCallbackUrl } from "../domain/oauth/providers.js";
import { createGitHubProviderClient } from "./github-provider-client.js";
import { createOpenIdProviderClient } from "./openid-provider-client.js";

/** Each request to a provider (discovery, token, UserInfo, GitHub API) gives up after this long. */
const PROVIDER_TIMEOUT_SECONDS = 10;

export function createProviderClients(
  providers: readonly OAuthProviderSettings[],
  publicUrl: string,
): Map<string, ProviderClient> {
  const clients = new Map<string, ProviderClient>();
  for (const settings of providers) {
    const options = {
      redirectUri: oauthCallbackUrl(publicUrl, settings.id),
      timeoutSeconds: PROVIDER_TIMEOUT_SECONDS,
    };
    clients.set(
      settings.id,
      settings.kind === "github"
        ? createGitHubProviderClient(settings, options)
        : createOpenIdProviderClient(settings, options),
    );
  }
  return clients;
}
