/** What the HTTP layer is given by the composition root (`src/app.ts`). */
import type { Config } from "../config/config.js";
import type { UserAdminService } from "../domain/admin/user-admin-service.js";
import type { ApiKeyService } from "../domain/api-keys/api-key-service.js";
import type { AuditLogService } from "../domain/audit/audit-log-service.js";
import type { EphemeralStore } from "../domain/ephemeral/ephemeral-store.js";
import type { IntrospectionService } from "../domain/introspection/introspection-service.js";
import type { MfaLoginService } from "../domain/mfa/mfa-login-service.js";
import type { MfaService } from "../domain/mfa/mfa-service.js";
import type { IdentityService } from "../domain/oauth/identity-service.js";
import type { SocialLoginService } from "../domain/oauth/social-login-service.js";
import type { ClientService } from "../domain/oauth-clients/client-service.js";
import type { RequestLimiter } from "../domain/rate-limit/limiter.js";
import type { EmailChangeService } from "../domain/recovery/email-change-service.js";
import type { EmailVerificationService } from "../domain/recovery/email-verification-service.js";
import type { PasswordResetService } from "../domain/recovery/password-reset-service.js";
import type { CsrfTokens } from "../domain/sessions/csrf-token.js";
import type { SessionService } from "../domain/sessions/session-service.js";
import type { StepUpPolicy } from "../domain/sessions/step-up.js";
import type { KeyRing } from "../domain/tokens/key-ring.js";
import type { SigningKeyService } from "../domain/tokens/signing-key-service.js";
import type { AccountDeletionService } from "../domain/users/account-deletion-service.js";
import type { LoginService } from "../domain/users/login-service.js";
import type { ReauthenticationService } from "../domain/users/reauthentication-service.js";
import type { UserService } from "../domain/users/user-service.js";
import type { WebAuthnService } from "../domain/webauthn/webauthn-service.js";
import type { WebhookService } from "../domain/webhooks/webhook-service.js";
import type { AuthMetrics } from "./plugins/metrics.js";

export interface HttpDeps {
  config: Config;
  users: UserService;
  login: LoginService;
  sessions: SessionService;
  keyRing: KeyRing;
  signingKeys: SigningKeyService;
  metrics: AuthMetrics;
  publicEndpointLimiter: RequestLimiter;
  apiKeys: ApiKeyService;
  /** Resource servers (issue 9): RFC 7662 introspection and the revocations they missed. */
  introspection: IntrospectionService;
  /** Per API key, on the resource-server endpoints. */
  introspectionLimiter: RequestLimiter;
  userAdmin: UserAdminService;
  auditLog: AuditLogService;
  /** Webhooks (admin API). */
  webhooks: WebhookService;
  /** The OpenID provider's OAuth clients (admin API, console). */
  clients: ClientService;
  passwordReset: PasswordResetService;
  emailVerification: EmailVerificationService;
  /** POST /v1/me/email and its confirmation link. */
  emailChange: EmailChangeService;
  /** DELETE /v1/me. */
  accountDeletion: AccountDeletionService;
  /** CSRF tokens of cookie sessions (GET /v1/auth/csrf). */
  csrf: CsrfTokens;
  /** Step-up: how recent an authentication sensitive acts need. */
  stepUp: StepUpPolicy;
  reauthentication: ReauthenticationService;
  /** TOTP, backup codes and the administrators' reset (issue 5). */
  mfa: MfaService;
  /** The second step of a sign-in (POST /v1/auth/mfa). */
  mfaLogin: MfaLoginService;
  /** Passkeys. */
  webauthn: WebAuthnService;
  /** Social login (issue 6): start, callback, the one-time code exchange. */
  socialLogin: SocialLoginService;
  /** The signed-in user's linked identities. */
  identities: IdentityService;
  /**
   * Short-lived one-time state: the pages keep what they show once (new backup codes, a new API
   * key) here between a POST and the GET it redirects to.
   */
  ephemeral: EphemeralStore;
  /** True when the database answers; for /readyz. */
  databaseReady: () => Promise<boolean>;
  /** Redis and the revocation bus: when one is down the instance serves on, "degraded". */
  optionalDependencies: () => Promise<Record<string, "ok" | "degraded">>;
  /** True once a graceful shutdown has begun: /readyz answers 503 so load balancers look elsewhere. */
  shuttingDown: () => boolean;
}
