/**
 * The composition root: the one place that wires configuration, storage, domain services and
 * the HTTP layer together. `buildApp` never listens (main.ts does), so tests drive the very same
 * app through `app.inject()`.
 */
import { randomUUID } from "node:crypto";
import { availableParallelism } from "node:os";
import fastifyCookie from "@fastify/cookie";
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import { TypeBoxValidatorCompiler } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import type { Config, TrustProxySetting } from "./config/config.js";
import { createUserAdminService, type UserAdminService } from "./domain/admin/user-admin-service.js";
import { type ApiKeyService, createApiKeyService } from "./domain/api-keys/api-key-service.js";
import { type AuditLogService, createAuditLogService } from "./domain/audit/audit-log-service.js";
import { type Clock, systemClock } from "./domain/clock.js";
import type { EphemeralStore } from "./domain/ephemeral/ephemeral-store.js";
import {
  createIntrospectionService,
  type IntrospectionService,
} from "./domain/introspection/introspection-service.js";
import { createMfaFailureLimit } from "./domain/mfa/mfa-failure-limit.js";
import { createMfaLoginService, type MfaLoginService } from "./domain/mfa/mfa-login-service.js";
import { createMfaService, type MfaService } from "./domain/mfa/mfa-service.js";
import { createMfaTokens } from "./domain/mfa/mfa-tokens.js";
import { createSecondFactorVerifier } from "./domain/mfa/second-factor.js";
import { createTotpSecretBox } from "./domain/mfa/totp-secret-box.js";
import { createIdentityService, type IdentityService } from "./domain/oauth/identity-service.js";
import { createRedirectAllowlist } from "./domain/oauth/redirect-allowlist.js";
import { createSocialLoginService, type SocialLoginService } from "./domain/oauth/social-login-service.js";
import { registrableScopes } from "./domain/oauth-clients/client-registration.js";
import { type ClientService, createClientService } from "./domain/oauth-clients/client-service.js";
import { createPasswordHasher, type PasswordHasherOptions } from "./domain/passwords/password-hasher.js";
import { createPasswordPolicy } from "./domain/passwords/password-policy.js";
import type { Persistence } from "./domain/persistence.js";
import { NO_PLACES } from "./domain/places/place-lookup.js";
import type { RequestLimiter } from "./domain/rate-limit/limiter.js";
import { createLoginThrottle } from "./domain/rate-limit/login-throttle.js";
import { createCsrfTokens, deriveCsrfKey } from "./domain/sessions/csrf-token.js";
import { createRefreshGrace } from "./domain/sessions/refresh-grace.js";
import { createRevocationSet, type RevocationSet } from "./domain/sessions/revocation.js";
import { startRevocationSync } from "./domain/sessions/revocation-sync.js";
import { createSessionService, type SessionService } from "./domain/sessions/session-service.js";
import { createStepUpPolicy, type StepUpPolicy } from "./domain/sessions/step-up.js";
import { createAccessTokenIssuer, createAccessTokenVerifier } from "./domain/tokens/access-token.js";
import { deriveKeyEncryptionKey } from "./domain/tokens/key-encryption.js";
import type { KeyRing } from "./domain/tokens/key-ring.js";
import { createSigningKeyService, type SigningKeyService } from "./domain/tokens/signing-key-service.js";
import {
  type AccountDeletionService,
  createAccountDeletionService,
} from "./domain/users/account-deletion-service.js";
import type { LoginService } from "./domain/users/login-service.js";
import { createLoginService } from "./domain/users/login-service.js";
import {
  createReauthenticationService,
  type ReauthenticationService,
} from "./domain/users/reauthentication-service.js";
import { createSignInCompleter, type SignInCompleter } from "./domain/users/sign-in.js";
import { createUserCache, type UserCache } from "./domain/users/user-cache.js";
import { createUserService, type UserService } from "./domain/users/user-service.js";
import { createWebAuthnService, type WebAuthnService } from "./domain/webauthn/webauthn-service.js";
import type { WebhookService } from "./domain/webhooks/webhook-service.js";
import {
  type ConnectionDrain,
  createConnectionDrain,
  type DrainOptions,
  type DrainOutcome,
  drainServer,
} from "./http/connection-drain.js";
import type { HttpDeps } from "./http/http-deps.js";
import { chooseLogFormat, createLogDestination, type LogDestination } from "./http/log-destination.js";
import { LOG_SERIALIZERS } from "./http/log-serializers.js";
import { buildMetricsApp } from "./http/metrics-listener.js";
import { AccessLogController, accessLog } from "./http/plugins/access-log.js";
import {
  apiKeyResolver,
  authentication,
  bearerTokenResolver,
  sessionCookieResolver,
} from "./http/plugins/authentication.js";
import { answerFrameworkError, errorHandling } from "./http/plugins/error-handling.js";
import { BODY_LIMIT_BYTES, jsonBody } from "./http/plugins/json-body.js";
import { type AuthMetrics, createAuthMetrics, httpMetrics } from "./http/plugins/metrics.js";
import { nulGuard } from "./http/plugins/nul-guard.js";
import { securityHeaders } from "./http/plugins/security-headers.js";
import { adminRoutes } from "./http/routes/admin/admin-routes.js";
import { adminWebhooksRoutes } from "./http/routes/admin/admin-webhooks-routes.js";
import { clientsRoutes } from "./http/routes/admin/clients-routes.js";
import { apiKeysRoutes } from "./http/routes/api-keys/api-keys-routes.js";
import { authRoutes } from "./http/routes/auth/auth-routes.js";
import { csrfRoutes } from "./http/routes/auth/csrf-routes.js";
import { discoveryRoutes } from "./http/routes/discovery/discovery-routes.js";
import { introspectionRoutes } from "./http/routes/introspection/introspection-routes.js";
import { meEventsRoutes } from "./http/routes/me/me-events-routes.js";
import { meRoutes } from "./http/routes/me/me-routes.js";
import { mfaRoutes } from "./http/routes/mfa/mfa-routes.js";
import { exchangeRoutes } from "./http/routes/oauth/exchange-routes.js";
import { identitiesRoutes } from "./http/routes/oauth/identities-routes.js";
import { oauthRoutes } from "./http/routes/oauth/oauth-routes.js";
import { providerRoutes } from "./http/routes/oidc/provider-routes.js";
import { operationsRoutes } from "./http/routes/operations/operations-routes.js";
import { recoveryRoutes } from "./http/routes/recovery/recovery-routes.js";
import { sessionsRoutes } from "./http/routes/sessions/sessions-routes.js";
import { webauthnRoutes } from "./http/routes/webauthn/webauthn-routes.js";
import { sharedSchemas } from "./http/schemas.js";
import { type AccountMailServices, createAccountMailServices } from "./mail/account-mail-services.js";
import type { MailLog } from "./mail/mail-delivery.js";
import type { MailWorker } from "./mail/mail-worker.js";
import { createProviderClients } from "./oauth-client/provider-clients.js";
import { type ProviderFeature, startProviderFeature } from "./oidc/provider-feature.js";
import { loadCommonPasswords } from "./store/common-passwords.js";
import { loadCsvPlaceLookup } from "./store/geoip/csv-place-lookup.js";
import { type DependencyStatus, openSharedState } from "./store/shared-state.js";
import type { SqlDatabase } from "./store/sql/database.js";
import { isDatabaseUnavailable } from "./store/sql/sql-errors.js";
import { createSqlPersistence } from "./store/sql/sql-persistence.js";
import { pages } from "./ui/pages.js";
import { createWebhookOutbox, createWebhookServices } from "./webhooks/webhook-services.js";
import type { WebhookWorker } from "./webhooks/webhook-worker.js";

/** How often each instance re-reads signing keys, so a rotation elsewhere is picked up. */
const KEY_RELOAD_INTERVAL_MS = 5_000;
const REVOCATION_PRUNE_INTERVAL_MS = 60_000;
/** While the bus is down, revocations are read from SQL this often: well inside the one-second bound. */
const REVOCATION_POLL_INTERVAL_MS = 500;
/** While it is up, a slow reconciliation catches an event a publisher lost. */
const REVOCATION_RECONCILE_INTERVAL_MS = 30_000;
/** Failed logins one client address may spend across all accounts, as a multiple of the per-account limit. */
const PER_ADDRESS_FAILURE_MULTIPLIER = 50;
/** API keys' `lastUsedAt` is written in batches this often, never once per request. */
const API_KEY_LAST_USED_FLUSH_INTERVAL_MS = 15_000;
const AUDIT_PRUNE_INTERVAL_MS = 60 * 60_000;
/** Wrong second-factor codes one account may spend in a window, across mfaTokens and instances. */
const MFA_FAILURES_PER_ACCOUNT = 10;
const MFA_FAILURE_WINDOW_MS = 15 * 60_000;

export type ResolvedConfig = Config & { secret: string };

export interface AppDeps {
  database: SqlDatabase;
  clock?: Clock;
  isCommonPassword?: (password: string) => boolean;
  /** Tests pass cheaper argon2 parameters. */
  hasher?: Partial<PasswordHasherOptions>;
  logger?: FastifyServerOptions["logger"];
  /** Where the default logger writes, line by line (stdout when absent); tests capture log lines with it. */
  logStream?: { write(line: string): void };
  /** A file the default logger appends to instead of stdout, through the same buffered destination. */
  logFile?: string;
}

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

export interface PortcullisApp {
  app: FastifyInstance;
  services: AppServices;
  /**
   * Writes out buffered log lines before returning: after the start-up lines, and on exit paths
   * (a crash), where no callback runs any more. Closing the app writes them too.
   */
  flushLogs(): void;
  /**
   * The first half of a graceful shutdown (http/connection-drain.ts): /readyz answers 503, the
   * listeners stop, requests in flight finish (cut at `timeoutMs`), keep-alive connections close.
   * Resolves once no connection is left; `app.close()` then flushes and closes the rest.
   */
  drain(options: DrainOptions): Promise<DrainOutcome>;
  /** The metrics listener's app (PORTCULLIS_METRICS_PORT); closed with `app`. */
  metricsApp: FastifyInstance | undefined;
}

export const LOG_REDACTIONS = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  "*.password",
  "*.currentPassword",
  "*.newPassword",
  "*.refreshToken",
  "*.accessToken",
  'req.headers["x-csrf-token"]',
  "*.key",
  "*.apiKey",
  "*.token",
  "*.secret",
  // An OAuth client's secret, shown once (API.md "Client administration").
  "*.clientSecret",
  "*.mfaToken",
  "*.backupCode",
  // MFA (issue 5): codes shown once, the TOTP secret's URL and picture, a passkey's signed answer.
  "*.backupCodes",
  "*.otpauthUrl",
  "*.qrCode",
  "*.webauthn",
  // The one-time code of POST /v1/auth/exchange, and a TOTP or backup code (MFA, step-up). Not
  // `*.code`: that would censor every error's `code`.
  "body.code",
  "req.body.code",
];

export interface Services extends AppServices {
  login: LoginService;
  /** Opens a session once a first factor is proven; every way of signing in ends here. */
  signIn: SignInCompleter;
  reauthentication: ReauthenticationService;
  stepUp: StepUpPolicy;
  /** TOTP, backup codes, the administrators' reset; the second step of a sign-in; passkeys (issue 5). */
  mfa: MfaService;
  mfaLogin: MfaLoginService;
  webauthn: WebAuthnService;
  /** Social login (issue 6) and the linked identities. */
  socialLogin: SocialLoginService;
  identities: IdentityService;
  /** DELETE /v1/me: the owner deletes their account (step-up). */
  accountDeletion: AccountDeletionService;
  keyRing: KeyRing;
  metrics: AuthMetrics;
  persistence: Persistence;
  ephemeral: EphemeralStore;
  publicEndpointLimiter: RequestLimiter;
  introspection: IntrospectionService;
  introspectionLimiter: RequestLimiter;
  revocations: RevocationSet;
  /** Mail, email verification and password reset (the worker is started by `buildApp`). */
  accountMail: AccountMailServices;
  /** The webhook delivery worker, started by `buildApp`. */
  webhookWorker: WebhookWorker;
  /** Dependencies the instance can live without for a while (Redis, the revocation bus), for /readyz. */
  optionalDependencies(): Promise<Record<string, DependencyStatus>>;
  /** Stops the background timers, the revocation sync, and closes Redis and the bus. */
  stop(): Promise<void>;
}

/**
 * Wires the domain services over the given storage. Used by `buildApp` and by the CLI.
 * Loads (or creates) the signing keys and the revocation set before returning.
 */
export async function createServices(
  config: ResolvedConfig,
  deps: AppDeps,
  log: { warn(object: unknown, message: string): void } & Partial<MailLog> = { warn: () => {} },
): Promise<Services> {
  const clock = deps.clock ?? systemClock;
  // Every committed write to a user row drops the cached copies (here and, over the bus, elsewhere).
  let userCache: UserCache | undefined;
  // Every audit event also queues its webhook deliveries, in the same transaction.
  const webhookOutbox = createWebhookOutbox(clock);
  const persistence = webhookOutbox.wrap(
    createSqlPersistence(deps.database.db, {
      onUserChanged: (userId) => userCache?.userChanged(userId),
    }),
  );
  const shared = await openSharedState({
    redisUrl: config.redisUrl,
    prefix: config.redisPrefix,
    database: deps.database,
    databaseUrl: config.databaseUrl,
    clock,
  });
  // Chosen by the configuration (REDIS_URL, the database): see store/shared-state.ts.
  const { bus, ephemeral } = shared;

  const signingKeys = createSigningKeyService({
    persistence,
    clock,
    kek: deriveKeyEncryptionKey(config.secret),
    // Secret rotation: keys sealed under a previous secret still open (`secrets reseal` moves them on).
    previousKeks: config.previousSecrets.map(deriveKeyEncryptionKey),
    algorithm: config.signingAlgorithm,
    retiredKeyRetentionMs: (config.accessTokenTtlSeconds + 60) * 1000 + KEY_RELOAD_INTERVAL_MS,
  });
  const keyRing = await signingKeys.initialize();
  const issuer = createAccessTokenIssuer({
    keyRing,
    issuer: config.publicUrl,
    audience: config.audience,
    ttlSeconds: config.accessTokenTtlSeconds,
    clock,
  });
  const verifier = createAccessTokenVerifier({
    keyRing,
    issuer: config.publicUrl,
    audience: config.audience,
    algorithms: [config.signingAlgorithm],
    clock,
  });

  const revocations = createRevocationSet({ clock, retentionMs: (config.accessTokenTtlSeconds + 60) * 1000 });
  const sessions = createSessionService({
    persistence,
    clock,
    issuer,
    verifier,
    revocations,
    bus,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
    rememberMeTtlSeconds: config.rememberMeTtlSeconds,
    sessionIdleTimeoutSeconds: config.sessionIdleTimeoutSeconds,
    clientBinding: config.sessionBinding,
    roleScopes: config.roleScopes,
    refreshGrace:
      config.refreshGraceMs > 0
        ? createRefreshGrace({ ephemeral, windowMs: config.refreshGraceMs })
        : undefined,
  });
  const userAdmin = createUserAdminService({
    persistence,
    clock,
    sessions,
    revocations,
    bus,
    roles: config.roles,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
  });
  const revocationSync = await startRevocationSync({
    persistence,
    clock,
    revocations,
    bus,
    windowMs: (config.accessTokenTtlSeconds + 60) * 1000,
    pollIntervalMs: REVOCATION_POLL_INTERVAL_MS,
    reconcileIntervalMs: REVOCATION_RECONCILE_INTERVAL_MS,
    onError: (error) => log.warn({ err: error }, "reading revocations from the database failed"),
  });
  const apiKeys = createApiKeyService({ persistence, clock });
  let openId: ProviderFeature | undefined;
  const clients = createClientService({
    persistence,
    clock,
    rules: {
      allowedScopes: registrableScopes(config.apiScopes),
      allowLoopbackHttp: config.env !== "production",
    },
    // The provider is started below, once the sessions it follows exist.
    clientGrants: { revokeEverythingOfClient: async (id) => openId?.provider.revokeEverythingOfClient(id) },
    onListenerError: (error) => log.warn({ err: error }, "an OAuth client change listener failed"),
  });
  const auditLog = createAuditLogService({
    persistence,
    clock,
    retentionMs: config.auditRetentionSeconds === null ? null : config.auditRetentionSeconds * 1000,
  });

  const hasher = createPasswordHasher({
    maxConcurrent: config.hashConcurrency ?? availableParallelism(),
    maxQueued: config.hashQueue,
    ...deps.hasher,
  });
  const throttle = createLoginThrottle({
    perAccountAndIp: shared.failureLimiter(config.loginRateLimit, "login:account-ip"),
    perIp: shared.failureLimiter(
      config.loginRateLimit === null
        ? null
        : {
            points: config.loginRateLimit.points * PER_ADDRESS_FAILURE_MULTIPLIER,
            durationSeconds: config.loginRateLimit.durationSeconds,
          },
      "login:ip",
    ),
  });
  const policy = createPasswordPolicy({ isCommonPassword: deps.isCommonPassword ?? loadCommonPasswords() });
  const accountMail = createAccountMailServices({
    config,
    clock,
    persistence,
    hasher,
    policy,
    sessions,
    log: { info: () => {}, error: (object, message) => log.warn(object, message), ...log },
  });
  const webhooks = createWebhookServices({
    config,
    clock,
    persistence,
    outbox: webhookOutbox,
    mailer: accountMail.mailer,
    log: { warn: (object, message) => log.warn(object, message), error: log.error ?? log.warn },
  });
  userCache = createUserCache({ persistence, clock, bus });
  const users = createUserService({
    findUser: userCache.findUser,
    persistence,
    clock,
    hasher,
    policy,
    sessions,
    throttle,
    verification: accountMail.emailVerification,
    notifier: accountMail.notifier,
    emailTaken: config.emailTaken,
  });
  const metrics = createAuthMetrics({ revocationSetSize: () => revocations.size });

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
  const socialLogin = createSocialLoginService({
    persistence,
    clock,
    ephemeral,
    signIn,
    providers: createProviderClients(config.oauthProviders, config.publicUrl),
    // The pages' own origin is always a return address (sign-in pages send social login back to /login).
    allowlist: createRedirectAllowlist([...config.redirectAllowlist, new URL(config.publicUrl).origin]),
    verification: accountMail.emailVerification,
    mailer: accountMail.mailer,
    requireVerifiedEmail: config.requireVerifiedEmail,
  });
  const identities = createIdentityService({ persistence, clock });
  const stepUp = createStepUpPolicy({ clock, windowSeconds: config.reauthWindowSeconds });
  const accountDeletion = createAccountDeletionService({
    persistence,
    clock,
    mailer: accountMail.mailer,
    sessions,
    revocations,
    bus,
  });

  openId = startProviderFeature({
    config,
    clock,
    database: deps.database,
    keyRing,
    findClientById: (id) => clients.findClientById(id),
    getUser: (id) => users.getUser(id),
    persistence,
    sessions,
    revocations,
    bus,
    ephemeral,
    log,
  });

  const timers = [
    setInterval(() => {
      signingKeys.reload().catch((error: unknown) => log.warn({ err: error }, "signing key reload failed"));
    }, KEY_RELOAD_INTERVAL_MS),
    setInterval(() => revocations.prune(), REVOCATION_PRUNE_INTERVAL_MS),
    setInterval(() => {
      apiKeys
        .flushLastUsed()
        .catch((error: unknown) => log.warn({ err: error }, "API key lastUsedAt flush failed"));
    }, API_KEY_LAST_USED_FLUSH_INTERVAL_MS),
    setInterval(() => {
      auditLog.prune().catch((error: unknown) => log.warn({ err: error }, "audit log pruning failed"));
    }, AUDIT_PRUNE_INTERVAL_MS),
  ];
  for (const timer of timers) timer.unref();

  return {
    users,
    login,
    signIn,
    reauthentication,
    stepUp,
    accountDeletion,
    mfa,
    mfaLogin,
    webauthn,
    socialLogin,
    identities,
    sessions,
    signingKeys,
    keyRing,
    metrics,
    persistence,
    ephemeral,
    revocations,
    apiKeys,
    userAdmin,
    auditLog,
    clients,
    openId,
    publicEndpointLimiter: shared.requestLimiter(config.rateLimit, "public"),
    introspection: createIntrospectionService({
      sessions,
      apiKeys,
      persistence,
      clock,
      accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    }),
    introspectionLimiter: shared.requestLimiter(config.introspectionRateLimit, "introspect"),
    optionalDependencies: () => shared.optionalDependencies(),
    accountMail,
    mail: accountMail.worker,
    webhooks: webhooks.service,
    webhookWorker: webhooks.worker,
    async stop() {
      // Stops the mail timer at once; `buildApp`'s onClose also awaits the pass in progress.
      void accountMail.worker.stop();
      void webhooks.worker.stop();
      for (const timer of timers) clearInterval(timer);
      await openId?.stop();
      revocationSync.stop();
      await shared.close();
    },
  };
}

/** A hop count becomes "trust the first N proxies", as proxy-addr counts them. */
function fastifyTrustProxy(
  setting: TrustProxySetting,
): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof setting === "number" ? (_address, hop) => hop < setting : setting;
}

export async function buildApp(config: ResolvedConfig, deps: AppDeps): Promise<PortcullisApp> {
  // Tests pass their own logger, or a stream that captures lines; everyone else gets the buffered one.
  const logDestination: LogDestination | undefined =
    deps.logger !== undefined || deps.logStream !== undefined
      ? undefined
      : await createLogDestination(
          deps.logFile === undefined
            ? { target: 1, format: chooseLogFormat(config.env, process.stdout.isTTY === true) }
            : { target: deps.logFile, format: "json" },
        );
  const logStream = deps.logStream ?? logDestination?.stream;
  const app = Fastify({
    logger: deps.logger ?? {
      level: config.logLevel,
      redact: { paths: LOG_REDACTIONS, censor: "[redacted]" },
      serializers: LOG_SERIALIZERS,
      ...(logStream === undefined ? {} : { stream: logStream }),
    },
    // Fastify's two lines per request cost a third of the throughput; the access-log plugin writes one.
    logController: new AccessLogController(),
    // The router's own refusals (bad percent-encoding, an over-long parameter) as problems too.
    frameworkErrors: answerFrameworkError,
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: fastifyTrustProxy(config.trustProxy),
    // Request ids are not secrets, but they must not be chosen by the caller either.
    genReqId: () => randomUUID(),
  }).setValidatorCompiler(TypeBoxValidatorCompiler);
  // Added first, so it runs last: onClose hooks run last-added first, and every other one may log.
  if (logDestination !== undefined) app.addHook("onClose", () => logDestination.close());

  const services = await createServices(config, deps, {
    warn: (object, message) => app.log.warn(object, message),
    info: (object, message) => app.log.info(object, message),
    error: (object, message) => app.log.error(object, message),
  });
  const { users, login, sessions, signingKeys, keyRing, metrics, persistence } = services;
  const csrf = createCsrfTokens(
    deriveCsrfKey(config.secret),
    undefined,
    config.previousSecrets.map(deriveCsrfKey),
  );

  for (const schema of sharedSchemas) app.addSchema(schema);
  await app.register(accessLog, { setting: config.accessLog, level: config.logLevel, stream: logStream });
  await app.register(errorHandling, { isDependencyDown: isDatabaseUnavailable });
  await app.register(jsonBody);
  await app.register(nulGuard);
  await app.register(securityHeaders);
  const connectionDrain: ConnectionDrain = createConnectionDrain();
  await app.register(connectionDrain.plugin);
  await app.register(fastifyCookie);
  await app.register(httpMetrics, { metrics });
  await app.register(authentication, {
    // Bearer first: it wins when a request also carries the session cookie.
    resolvers: [
      bearerTokenResolver(sessions),
      apiKeyResolver(services.apiKeys),
      sessionCookieResolver(sessions, config.secureCookies, {
        tokens: csrf,
        origin: new URL(config.publicUrl).origin,
      }),
    ],
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: "3.1.0",
      info: { title: "Portcullis", version: "1", description: "Authentication server API (contract v1)" },
      servers: [{ url: config.publicUrl }],
      components: {
        securitySchemes: {
          bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
          apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
          sessionCookie: { type: "apiKey", in: "cookie", name: "pc_session" },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(fastifySwaggerUi, { routePrefix: "/docs" });

  // A POST without a body is validated as an empty object, so optional-body routes need no special case.
  app.addHook("preValidation", async (request) => {
    if (request.body === undefined && request.method !== "GET" && request.method !== "HEAD")
      request.body = {};
  });

  const httpDeps: HttpDeps = {
    config,
    users,
    login,
    sessions,
    keyRing,
    signingKeys,
    metrics,
    publicEndpointLimiter: services.publicEndpointLimiter,
    apiKeys: services.apiKeys,
    introspection: services.introspection,
    introspectionLimiter: services.introspectionLimiter,
    userAdmin: services.userAdmin,
    auditLog: services.auditLog,
    clients: services.clients,
    webhooks: services.webhooks,
    passwordReset: services.accountMail.passwordReset,
    emailVerification: services.accountMail.emailVerification,
    emailChange: services.accountMail.emailChange,
    accountDeletion: services.accountDeletion,
    csrf,
    stepUp: services.stepUp,
    reauthentication: services.reauthentication,
    mfa: services.mfa,
    mfaLogin: services.mfaLogin,
    webauthn: services.webauthn,
    socialLogin: services.socialLogin,
    identities: services.identities,
    ephemeral: services.ephemeral,
    databaseReady: () => persistence.ping(),
    optionalDependencies: services.optionalDependencies,
    shuttingDown: () => connectionDrain.draining,
  };
  await app.register(authRoutes, httpDeps);
  await app.register(csrfRoutes, httpDeps);
  await app.register(meRoutes, httpDeps);
  await app.register(meEventsRoutes, httpDeps);
  await app.register(apiKeysRoutes, httpDeps);
  await app.register(adminRoutes, httpDeps);
  await app.register(clientsRoutes, httpDeps);
  await app.register(adminWebhooksRoutes, httpDeps);
  await app.register(discoveryRoutes, httpDeps);
  await app.register(operationsRoutes, httpDeps);
  await app.register(recoveryRoutes, httpDeps);
  await app.register(sessionsRoutes, httpDeps);
  await app.register(mfaRoutes, httpDeps);
  await app.register(webauthnRoutes, httpDeps);
  await app.register(introspectionRoutes, httpDeps);
  await app.register(oauthRoutes, httpDeps);
  await app.register(exchangeRoutes, httpDeps);
  await app.register(identitiesRoutes, httpDeps);
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  if (services.openId !== undefined)
    await app.register(providerRoutes, {
      provider: services.openId.provider,
      jwtTokenRequests: services.openId.jwtTokenRequests,
      ephemeral: services.ephemeral,
      publicUrl: config.publicUrl,
      sessions,
      users,
      secureCookies: config.secureCookies,
    });
  await app.register(pages, {
    ...httpDeps,
    openId: services.openId?.pages,
    isDependencyDown: isDatabaseUnavailable,
    places: config.ui.geoipCsv === undefined ? NO_PLACES : loadCsvPlaceLookup(config.ui.geoipCsv),
  });

  // Uses gathered since the last timer tick are written at shutdown. `preClose`, because onClose
  // hooks run last-added first and whoever opened the database closes it in one added later.
  app.addHook("preClose", async () => {
    await services.apiKeys.flushLastUsed().catch((error: unknown) => {
      app.log.warn({ err: error }, "API key lastUsedAt flush failed");
    });
  });
  app.addHook("onClose", () => services.stop());
  // The mail pass in progress finishes before the database closes; queued mail waits for the next start.
  app.addHook("onClose", () => services.accountMail.worker.stop());
  // Likewise the webhook pass in progress; pending deliveries wait in the outbox.
  app.addHook("onClose", () => services.webhookWorker.stop());
  const metricsApp =
    config.metrics.port === undefined
      ? undefined
      : await buildMetricsApp({
          registry: metrics.registry,
          settings: config.metrics,
          production: config.env === "production",
          logger: app.log,
        });
  if (metricsApp !== undefined) app.addHook("onClose", () => metricsApp.close());
  app.log.info(services.accountMail.description);
  services.accountMail.worker.start();
  services.webhookWorker.start();

  return {
    app,
    services: {
      users,
      sessions,
      signingKeys,
      keyRing,
      apiKeys: services.apiKeys,
      userAdmin: services.userAdmin,
      auditLog: services.auditLog,
      clients: services.clients,
      openId: services.openId,
      mail: services.mail,
      webhooks: services.webhooks,
      webhookWorker: services.webhookWorker,
    },
    flushLogs: () => logDestination?.flushSync(),
    async drain(options) {
      const [outcome] = await Promise.all([
        connectionDrain.drain(app.server, options),
        metricsApp?.server.listening ? drainServer(metricsApp.server, options) : undefined,
      ]);
      if (outcome.cutConnections > 0)
        app.log.warn(
          { connections: outcome.cutConnections, timeoutMs: options.timeoutMs },
          "shutdown timeout reached: connections with requests still running were cut",
        );
      return outcome;
    },
    metricsApp,
  };
}
