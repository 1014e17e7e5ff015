/** What the HTTP layer is given by the composition root (`src/app.ts`). */
import type { Config } from "../config/config.js";
import type { RequestLimiter } from "../domain/rate-limit/limiter.js";
import type { SessionService } from "../domain/sessions/session-service.js";
import type { KeyRing } from "../domain/tokens/key-ring.js";
import type { SigningKeyService } from "../domain/tokens/signing-key-service.js";
import type { LoginService } from "../domain/users/login-service.js";
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
  /** True when the database answers; for /readyz. */
  databaseReady: () => Promise<boolean>;
}
