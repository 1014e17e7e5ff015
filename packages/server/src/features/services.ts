/**
 * The services the features build, as one object (`createServices` in app.ts returns it), and the
 * two views of it the rest of the code is given: the HTTP layer's `HttpDeps` and the `AppServices`
 * that `buildApp` hands to its caller.
 */
import type { UserAdminService } from "../domain/admin/user-admin-service.js";
import type { ApiKeyService } from "../domain/api-keys/api-key-service.js";
import type { AuditLogService } from "../domain/audit/audit-log-service.js";
import type { ClientService } from "../domain/oauth-clients/client-service.js";
import type { SessionService } from "../domain/sessions/session-service.js";
import type { KeyRing } from "../domain/tokens/key-ring.js";
import type { SigningKeyService } from "../domain/tokens/signing-key-service.js";
import type { UserService } from "../domain/users/user-service.js";
import type { WebhookService } from "../domain/webhooks/webhook-service.js";
import type { HttpDeps } from "../http/http-deps.js";
import type { MailWorker } from "../mail/mail-worker.js";
import type { ProviderFeature } from "../oidc/provider-feature.js";
import type { WebhookWorker } from "../webhooks/webhook-worker.js";
import type { Accounts } from "./accounts-feature.js";
import type { ApiKeys } from "./api-keys-feature.js";
import type { AuditLog } from "./audit-feature.js";
import type { FeatureHostContents } from "./feature-host.js";
import type { Introspection } from "./introspection-feature.js";
import type { OpenIdProvider } from "./openid-provider-feature.js";
import type { Platform } from "./platform-feature.js";
import type { Sessions } from "./sessions-feature.js";
import type { SignIn } from "./sign-in-feature.js";
import type { SigningKeys } from "./signing-keys-feature.js";
import type { SocialLogin } from "./social-login-feature.js";
import type { UserAdmin } from "./user-admin-feature.js";
import type { Webhooks } from "./webhooks-feature.js";

/** Everything the features built, and what the app runs and stops (feature-host.ts). */
export type Services = Platform &
  SigningKeys &
  Sessions &
  UserAdmin &
  ApiKeys &
  AuditLog &
  Accounts &
  SignIn &
  SocialLogin &
  Webhooks &
  Introspection &
  OpenIdProvider &
  FeatureHostContents;

/** What `buildApp` gives its caller (tests, embedders) besides the Fastify instance. */
export interface AppServices {
  users: UserService;
  sessions: SessionService;
  signingKeys: SigningKeyService;
  /** The keys in use; `version` changes only when the set of keys does. */
  keyRing: KeyRing;
  apiKeys: ApiKeyService;
  userAdmin: UserAdminService;
  auditLog: AuditLogService;
  /** The OpenID provider's OAuth clients. */
  clients: ClientService;
  /** The OpenID provider; undefined when the signing algorithm is HS256. */
  openId: ProviderFeature | undefined;
  /** The mail outbox worker; tests step it with `drainOnce()` instead of sleeping. */
  mail: Pick<MailWorker, "drainOnce">;
  /** Webhooks: endpoints that hear of audit events. */
  webhooks: WebhookService;
  /** The webhook delivery worker; tests step it with `drainOnce()` (and a manual clock). */
  webhookWorker: Pick<WebhookWorker, "drainOnce">;
}

export function appServicesOf(services: Services): AppServices {
  return {
    users: services.users,
    sessions: services.sessions,
    signingKeys: services.signingKeys,
    keyRing: services.keyRing,
    apiKeys: services.apiKeys,
    userAdmin: services.userAdmin,
    auditLog: services.auditLog,
    clients: services.clients,
    openId: services.openId,
    mail: services.accountMail.worker,
    webhooks: services.webhooks,
    webhookWorker: services.webhookWorker,
  };
}

/** @param shuttingDown true once a graceful shutdown has begun (/readyz answers 503). */
export function httpDepsOf(services: Services, shuttingDown: () => boolean): HttpDeps {
  const { accountMail } = services;
  return {
    config: services.config,
    users: services.users,
    login: services.login,
    sessions: services.sessions,
    keyRing: services.keyRing,
    signingKeys: services.signingKeys,
    metrics: services.metrics,
    publicEndpointLimiter: services.publicEndpointLimiter,
    apiKeys: services.apiKeys,
    introspection: services.introspection,
    introspectionLimiter: services.introspectionLimiter,
    userAdmin: services.userAdmin,
    auditLog: services.auditLog,
    clients: services.clients,
    webhooks: services.webhooks,
    passwordReset: accountMail.passwordReset,
    emailVerification: accountMail.emailVerification,
    emailChange: accountMail.emailChange,
    accountDeletion: services.accountDeletion,
    csrf: services.csrf,
    stepUp: services.stepUp,
    reauthentication: services.reauthentication,
    mfa: services.mfa,
    mfaLogin: services.mfaLogin,
    webauthn: services.webauthn,
    socialLogin: services.socialLogin,
    identities: services.identities,
    ephemeral: services.ephemeral,
    databaseReady: () => services.persistence.ping(),
    optionalDependencies: services.optionalDependencies,
    shuttingDown,
  };
}
