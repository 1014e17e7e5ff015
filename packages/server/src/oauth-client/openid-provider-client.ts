/**
 * An OpenID Connect provider (Google, or any issuer found by discovery) through openid-client:
 * discovery on first use, cached (the metadata must name exactly the configured issuer: ASVS
 * 10.5.3); authorization code flow with PKCE S256, `state` and `nonce`; the ID token checked for
 * signature, `iss`, `aud` = our client id, expiry and nonce (ASVS 10.5.1, 10.5.4), and the RFC
 * 9207 `iss` response parameter when the provider sends it (mix-up defence). The email comes
 * from the ID token, or from the UserInfo endpoint when the ID token has none.
 */
import * as oidc from "openid-client";
import type { ProviderClient, ProviderProfile } from "../domain/oauth/provider-client.js";
import type { OidcProviderSettings } from "../domain/oauth/providers.js";
import { classifyProviderError } from "./provider-errors.js";

export interface ProviderClientOptions {
  /** `${PORTCULLIS_PUBLIC_URL}/v1/oauth/<id>/callback`, as registered at the provider. */
  redirectUri: string;
  /** Seconds each request to the provider may take. */
  timeoutSeconds: number;
}

/** A failed discovery is retried on a later request, but not more often than this. */
const DISCOVERY_RETRY_MS = 5_000;

function readProfile(claims: Record<string, unknown>): ProviderProfile {
  return {
    subject: String(claims.sub),
    email: typeof claims.email === "string" ? claims.email : null,
    // Only a real `true`: a missing claim, `false` or the string "true" is not an assertion.
    emailVerified: claims.email_verified === true,
    name: typeof claims.name === "string" ? claims.name : null,
  };
}

export function createOpenIdProviderClient(
  settings: OidcProviderSettings,
  options: ProviderClientOptions,
): ProviderClient {
  let configuration: Promise<oidc.Configuration> | undefined;
  let failedAt = Number.NEGATIVE_INFINITY;

  function discover(): Promise<oidc.Configuration> {
    if (configuration === undefined) {
      if (Date.now() - failedAt < DISCOVERY_RETRY_MS) {
        return Promise.reject(new TypeError("discovery failed moments ago"));
      }
      // The configuration only accepts http:// for a loopback issuer outside production.
      const insecure = settings.issuer.startsWith("http://");
      configuration = oidc
        .discovery(
          new URL(settings.issuer),
          settings.clientId,
          { client_secret: settings.clientSecret },
          oidc.ClientSecretPost(settings.clientSecret),
          {
            timeout: options.timeoutSeconds,
            ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
          },
        )
        .catch((error: unknown) => {
          configuration = undefined;
          failedAt = Date.now();
          throw error;
        });
    }
    return configuration;
  }

  return {
    id: settings.id,

    async authorizationUrl(secrets) {
      try {
        const config = await discover();
        const url = oidc.buildAuthorizationUrl(config, {
          redirect_uri: options.redirectUri,
          scope: settings.scopes.join(" "),
          state: secrets.state,
          nonce: secrets.nonce,
          code_challenge: await oidc.calculatePKCECodeChallenge(secrets.codeVerifier),
          code_challenge_method: "S256",
        });
        return { ok: true, url: url.href };
      } catch (error) {
        const failure = classifyProviderError("discovery", error);
        // Before the user ever reached the provider, any failure means it cannot be used now.
        return { ...failure, code: "provider_unavailable" };
      }
    },

    async redeem(callbackUrl, secrets) {
      try {
        const config = await discover();
        const tokens = await oidc.authorizationCodeGrant(config, new URL(callbackUrl), {
          pkceCodeVerifier: secrets.codeVerifier,
          expectedState: secrets.state,
          expectedNonce: secrets.nonce,
          idTokenExpected: true,
        });
        const idToken = tokens.claims();
        if (idToken === undefined) return classifyProviderError("token", new Error("no ID token"));
        let claims: Record<string, unknown> = { ...idToken };
        if (typeof claims.email !== "string" && config.serverMetadata().userinfo_endpoint !== undefined) {
          // UserInfo must be about the same subject as the ID token (OIDC Core §5.3.2).
          const userInfo = await oidc.fetchUserInfo(config, tokens.access_token, idToken.sub);
          claims = { ...userInfo, ...claims, sub: idToken.sub };
        }
        return { ok: true, profile: readProfile(claims) };
      } catch (error) {
        return classifyProviderError("token", error);
      }
    },
  };
}
