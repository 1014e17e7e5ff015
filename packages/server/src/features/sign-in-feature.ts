/**
 * Signing in: the password login, the second step (TOTP, backup codes, passkeys) and the session
 * every way of signing in ends with, re-authentication for step-up, and the management of second
 * factors. Serves /v1/auth, /v1/mfa and the passkey endpoints.
 */
import { createMfaFailureLimit } from "../domain/mfa/mfa-failure-limit.js";
import { createMfaLoginService, type MfaLoginService } from "../domain/mfa/mfa-login-service.js";
import { createMfaService, type MfaService } from "../domain/mfa/mfa-service.js";
import { createMfaTokens } from "../domain/mfa/mfa-tokens.js";
import { createSecondFactorVerifier } from "../domain/mfa/second-factor.js";
import { createTotpSecretBox } from "../domain/mfa/totp-secret-box.js";
import { createLoginService, type LoginService } from "../domain/users/login-service.js";
import {
  createReauthenticationService,
  type ReauthenticationService,
} from "../domain/users/reauthentication-service.js";
import { createSignInCompleter, type SignInCompleter } from "../domain/users/sign-in.js";
import { createWebAuthnService, type WebAuthnService } from "../domain/webauthn/webauthn-service.js";
import { authRoutes } from "../http/routes/auth/auth-routes.js";
import { mfaRoutes } from "../http/routes/mfa/mfa-routes.js";
import { webauthnRoutes } from "../http/routes/webauthn/webauthn-routes.js";
import type { Accounts } from "./accounts-feature.js";
import type { Platform } from "./platform-feature.js";
import type { Sessions } from "./sessions-feature.js";

/** Wrong second-factor codes one account may spend in a window, across mfaTokens and instances. */
const MFA_FAILURES_PER_ACCOUNT = 10;
const MFA_FAILURE_WINDOW_MS = 15 * 60_000;

export interface SignIn {
  login: LoginService;
  /** Opens a session once a first factor is proven; every way of signing in ends here. */
  signIn: SignInCompleter;
  reauthentication: ReauthenticationService;
  /** TOTP, backup codes, the administrators' reset; the second step of a sign-in; passkeys. */
  mfa: MfaService;
  mfaLogin: MfaLoginService;
  webauthn: WebAuthnService;
}

export function createSignIn(deps: Platform & Sessions & Accounts): SignIn {
  const { config, clock, persistence, ephemeral, sessions, hasher, throttle, accountMail, log } = deps;
  const mfaTokens = createMfaTokens({ ephemeral, clock });
  const signIn = createSignInCompleter({
    persistence,
    clock,
    sessions,
    notifier: accountMail.notifier,
    mfaTokens,
  });
  const secondFactor = createSecondFactorVerifier({
    persistence,
    clock,
    secretBox: createTotpSecretBox({ secret: config.secret, previousSecrets: config.previousSecrets }),
    failures: createMfaFailureLimit({
      ephemeral,
      clock,
      maxFailures: MFA_FAILURES_PER_ACCOUNT,
      windowMs: MFA_FAILURE_WINDOW_MS,
    }),
  });
  const login = createLoginService({
    persistence,
    clock,
    hasher,
    throttle,
    signIn,
    onRehashFailure: (error) => log.warn({ err: error }, "password hash upgrade failed"),
    requireVerifiedEmail: config.requireVerifiedEmail,
  });
  const reauthentication = createReauthenticationService({
    persistence,
    hasher,
    throttle,
    sessions,
    secondFactor,
  });
  const mfa = createMfaService({
    persistence,
    clock,
    secretBox: createTotpSecretBox({ secret: config.secret, previousSecrets: config.previousSecrets }),
    verifier: secondFactor,
    hasher,
    throttle,
    sessions,
    notifier: accountMail.notifier,
    issuer: config.webauthn.rpName,
  });
  const webauthn = createWebAuthnService({
    persistence,
    clock,
    ephemeral,
    relyingParty: {
      id: config.webauthn.rpId,
      name: config.webauthn.rpName,
      origins: config.webauthn.origins,
    },
    signIn,
    mfaTokens,
    requireVerifiedEmail: config.requireVerifiedEmail,
  });
  const mfaLogin = createMfaLoginService({
    persistence,
    mfaTokens,
    verifier: secondFactor,
    webauthn,
    signIn,
  });
  deps.host.serve(authRoutes, mfaRoutes, webauthnRoutes);
  return { login, signIn, reauthentication, mfa, mfaLogin, webauthn };
}
