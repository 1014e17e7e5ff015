/**
 * Social-login providers as configured: the `google` and `github` presets and any number of
 * OpenID Connect issuers found by discovery (API.md "Social login" and "Configuration"). The ids
 * name the routes (`/v1/oauth/<id>/…`) and the audit method (`oauth:<id>`).
 */

/** Lower-case letters and digits (API.md); upper-cased in the variable names. */
export const PROVIDER_ID_PATTERN = /^[a-z0-9]{1,32}$/;

export const OIDC_DEFAULT_SCOPES: readonly string[] = ["openid", "email", "profile"];

/** Google is an OpenID Connect issuer; only its address is preset. */
export const GOOGLE_ISSUER = "https://accounts.google.com";

/**
 * GitHub is plain OAuth 2.0 (no ID token): the profile and the verified primary email come from
 * its REST API. `read:user` and `user:email` are the least that reading them needs.
 */
export const GITHUB_DEFAULTS = {
  webUrl: "https://github.com",
  apiUrl: "https://api.github.com",
  scopes: ["read:user", "user:email"] as readonly string[],
};

interface CommonProviderSettings {
  readonly id: string;
  readonly clientId: string;
  /** Never logged. */
  readonly clientSecret: string;
  readonly scopes: readonly string[];
}

export interface OidcProviderSettings extends CommonProviderSettings {
  readonly kind: "oidc";
  /** The issuer identifier; its metadata is discovered and must name exactly this issuer. */
  readonly issuer: string;
}

export interface GitHubProviderSettings extends CommonProviderSettings {
  readonly kind: "github";
  /** Where the authorize and token endpoints live (`https://github.com`, or a GitHub Enterprise host). */
  readonly webUrl: string;
  /** The REST API (`https://api.github.com`, or `https://HOST/api/v3`). */
  readonly apiUrl: string;
}

export type OAuthProviderSettings = OidcProviderSettings | GitHubProviderSettings;

/** The redirect URI registered at every provider: `${publicUrl}/v1/oauth/<id>/callback`. */
export function oauthCallbackUrl(publicUrl: string, providerId: string): string {
  return `${publicUrl}/v1/oauth/${providerId}/callback`;
}
