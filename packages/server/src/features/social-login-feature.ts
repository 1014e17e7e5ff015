/**
 * Social login: sign-in through GitHub, Google or any OpenID Connect provider, the one-time code
 * a client exchanges for tokens, and the identities a user has linked. Serves /v1/oauth,
 * POST /v1/auth/exchange and /v1/me/identities.
 */
import { createIdentityService, type IdentityService } from "../domain/oauth/identity-service.js";
import { createRedirectAllowlist } from "../domain/oauth/redirect-allowlist.js";
import { createSocialLoginService, type SocialLoginService } from "../domain/oauth/social-login-service.js";
import { exchangeRoutes } from "../http/routes/oauth/exchange-routes.js";
import { identitiesRoutes } from "../http/routes/oauth/identities-routes.js";
import { oauthRoutes } from "../http/routes/oauth/oauth-routes.js";
import { createProviderClients } from "../oauth-client/provider-clients.js";
import type { Accounts } from "./accounts-feature.js";
import type { Platform } from "./platform-feature.js";
import type { SignIn } from "./sign-in-feature.js";

export interface SocialLogin {
  socialLogin: SocialLoginService;
  identities: IdentityService;
}

export function createSocialLogin(deps: Platform & Accounts & SignIn): SocialLogin {
  const { config, clock, persistence, accountMail } = deps;
  const socialLogin = createSocialLoginService({
    persistence,
    clock,
    ephemeral: deps.ephemeral,
    signIn: deps.signIn,
    providers: createProviderClients(config.oauthProviders, config.publicUrl),
    // The pages' own origin is always a return address (sign-in pages send social login back to /login).
    allowlist: createRedirectAllowlist([...config.redirectAllowlist, new URL(config.publicUrl).origin]),
    verification: accountMail.emailVerification,
    mailer: accountMail.mailer,
    requireVerifiedEmail: config.requireVerifiedEmail,
  });
  deps.host.serve(oauthRoutes, exchangeRoutes, identitiesRoutes);
  return { socialLogin, identities: createIdentityService({ persistence, clock }) };
}
