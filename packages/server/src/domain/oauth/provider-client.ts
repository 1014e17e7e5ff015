/**
 * The port through which the social-login flow talks to a provider; `src/oauth-client/`
 * implements it with openid-client (authorization code flow with PKCE S256, `state`, and for
 * OpenID Connect `nonce` and ID-token validation: signature, `iss`, `aud`, `exp`, RFC 9207 `iss`
 * in the response). The flow owns the one-time values and the decisions; the client owns HTTP.
 */

/** Who the provider says signed in. `subject` is the stable key (ASVS 10.5.2: never the email). */
export interface ProviderProfile {
  subject: string;
  email: string | null;
  /** True only when the provider asserts it (`email_verified: true`, GitHub's `verified`). */
  emailVerified: boolean;
  name: string | null;
}

/**
 * `access_denied`: the user refused (or cancelled) at the provider. `provider_error`: the provider
 * answered with an error or with something that fails validation (a spent or foreign code, a PKCE
 * mismatch, a wrong nonce, issuer or signature). `provider_unavailable`: it did not answer, or
 * answered 5xx.
 */
export type ProviderFailureCode = "access_denied" | "provider_error" | "provider_unavailable";

export interface ProviderFailure {
  ok: false;
  code: ProviderFailureCode;
  /** For the log: what went wrong, in words that never carry a code, token or secret. */
  reason: string;
}

export interface AuthorizationSecrets {
  state: string;
  /** Sent only to OpenID Connect providers. */
  nonce: string;
  /** The PKCE verifier; only its S256 challenge leaves in the URL. */
  codeVerifier: string;
}

export interface ProviderClient {
  readonly id: string;
  /** The provider's authorization URL for this flow (discovering the provider on first use). */
  authorizationUrl(secrets: AuthorizationSecrets): Promise<{ ok: true; url: string } | ProviderFailure>;
  /**
   * Checks the authorization response at `callbackUrl` against the flow's secrets, redeems the
   * code (with the PKCE verifier) and reads the profile.
   */
  redeem(
    callbackUrl: string,
    secrets: AuthorizationSecrets,
  ): Promise<{ ok: true; profile: ProviderProfile } | ProviderFailure>;
}
