/** What the HTTP layer is given by the composition root (`src/app.ts`). */
import type { Config } from "../config/config.js";
import type { UserAdminService } from "../domain/admin/user-admin-service.js";
import type { ApiKeyService } from "../domain/api-keys/api-key-service.js";
import type { AuditLogService } from "../domain/audit/audit-log-service.js";
import type { RequestLimiter } from "../domain/rate-limit/limiter.js";
import type { EmailVerificationService } from "../domain/recovery/email-verification-service.js";
import type { PasswordResetService } from "../domain/recovery/password-reset-service.js";
import type { CsrfTokens } from "../domain/sessions/csrf-token.js";
import type { SessionService } from "../domain/sessions/session-service.js";
import type { StepUpPolicy } from "../domain/sessions/step-up.js";
import type { KeyRing } from "../domain/tokens/key-ring.js";
import type { SigningKeyService } from "../domain/tokens/signing-key-service.js";
import type { LoginService } from "../domain/users/login-service.js";
import type { ReauthenticationService } from "../domain/users/reauthentication-service.js";
import type { UserService } from "../domain/users/user-service.js";
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
  userAdmin: UserAdminService;
  auditLog: AuditLogService;
  passwordReset: PasswordResetService;
  emailVerification: EmailVerificationService;
  /** CSRF tokens of cookie sessions (GET /v1/auth/csrf). */
  csrf: CsrfTokens;
  /** Step-up: how recent an authentication sensitive acts need. */
  stepUp: StepUpPolicy;
  reauthentication: ReauthenticationService;
  /** True when the database answers; for /readyz. */
  databaseReady: () => Promise<boolean>;
}
