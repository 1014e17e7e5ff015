/**
 * GitHub (github.com or GitHub Enterprise Server): plain OAuth 2.0, so openid-client runs the
 * authorization code flow with PKCE S256 and `state` against fixed endpoints (no discovery, no
 * ID token), and the profile comes from the REST API: `GET /user` (the numeric `id` is the
 * subject: logins can be renamed) and `GET /user/emails` (the primary address, verified or not).
 * PORTCULLIS_OAUTH_GITHUB_URL and PORTCULLIS_OAUTH_GITHUB_API_URL move both, for Enterprise
 * hosts and for tests.
 */
import * as oidc from "openid-client";
import type { ProviderClient, ProviderProfile } from "../domain/oauth/provider-client.js";
import type { GitHubProviderSettings } from "../domain/oauth/providers.js";
import type { ProviderClientOptions } from "./openid-provider-client.js";
import { classifyProviderError } from "./provider-errors.js";

interface GitHubUser {
  id: number;
  login: string;
  name: string | null;
}

interface GitHubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

class GitHubApiError extends Error {
  override readonly name = "GitHubApiError";
  constructor(
    message: string,
    override readonly cause: Response,
  ) {
    super(message);
  }
}

export function createGitHubProviderClient(
  settings: GitHubProviderSettings,
  options: ProviderClientOptions,
): ProviderClient {
  const server: oidc.ServerMetadata = {
    // GitHub publishes no issuer identifier; its web origin stands in for one.
    issuer: settings.webUrl,
    authorization_endpoint: `${settings.webUrl}/login/oauth/authorize`,
    token_endpoint: `${settings.webUrl}/login/oauth/access_token`,
  };
  const config = new oidc.Configuration(
    server,
    settings.clientId,
    { client_secret: settings.clientSecret },
    oidc.ClientSecretPost(settings.clientSecret),
  );
  config.timeout = options.timeoutSeconds;
  // The configuration only accepts http:// for loopback hosts outside production (tests).
  if (settings.webUrl.startsWith("http://") || settings.apiUrl.startsWith("http://")) {
    oidc.allowInsecureRequests(config);
  }

  async function api<T>(path: string, accessToken: string): Promise<T> {
    const response = await fetch(`${settings.apiUrl}${path}`, {
      headers: {
        accept: "application/vnd.github+json",
        authorization: `Bearer ${accessToken}`,
        "user-agent": "Portcullis",
        "x-github-api-version": "2022-11-28",
      },
      redirect: "error",
      signal: AbortSignal.timeout(options.timeoutSeconds * 1000),
    });
    if (!response.ok) throw new GitHubApiError(`GET ${path} answered ${response.status}`, response);
    return (await response.json()) as T;
  }

  async function readProfile(accessToken: string): Promise<ProviderProfile> {
    const [user, emails] = await Promise.all([
      api<GitHubUser>("/user", accessToken),
      api<GitHubEmail[]>("/user/emails", accessToken),
    ]);
    if (typeof user.id !== "number") throw new Error("GET /user has no numeric id");
    const primary = Array.isArray(emails) ? emails.find((entry) => entry.primary === true) : undefined;
    return {
      subject: String(user.id),
      email: typeof primary?.email === "string" ? primary.email : null,
      emailVerified: primary?.verified === true,
      name: typeof user.name === "string" && user.name !== "" ? user.name : user.login,
    };
  }

  return {
    id: settings.id,

    async authorizationUrl(secrets) {
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: options.redirectUri,
        scope: settings.scopes.join(" "),
        state: secrets.state,
        code_challenge: await oidc.calculatePKCECodeChallenge(secrets.codeVerifier),
        code_challenge_method: "S256",
        // Do not offer to sign up for a GitHub account in the middle of signing in here.
        allow_signup: "false",
      });
      return { ok: true, url: url.href };
    },

    async redeem(callbackUrl, secrets) {
      try {
        const tokens = await oidc.authorizationCodeGrant(config, new URL(callbackUrl), {
          pkceCodeVerifier: secrets.codeVerifier,
          expectedState: secrets.state,
        });
        return { ok: true, profile: await readProfile(tokens.access_token) };
      } catch (error) {
        return classifyProviderError(error instanceof GitHubApiError ? "profile" : "token", error);
      }
    },
  };
}
