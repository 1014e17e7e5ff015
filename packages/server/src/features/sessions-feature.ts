/**
 * Sessions: refresh-token rotation, the revocation set every instance keeps in step (over the bus,
 * with the database as the fallback), step-up, and the CSRF tokens of cookie sessions. Serves
 * GET /v1/auth/csrf and the device list.
 */
import { type CsrfTokens, createCsrfTokens, deriveCsrfKey } from "../domain/sessions/csrf-token.js";
import { createRefreshGrace } from "../domain/sessions/refresh-grace.js";
import { createRevocationSet, type RevocationSet } from "../domain/sessions/revocation.js";
import { startRevocationSync } from "../domain/sessions/revocation-sync.js";
import { createSessionService, type SessionService } from "../domain/sessions/session-service.js";
import { createStepUpPolicy, type StepUpPolicy } from "../domain/sessions/step-up.js";
import { type AuthMetrics, createAuthMetrics } from "../http/plugins/metrics.js";
import { csrfRoutes } from "../http/routes/auth/csrf-routes.js";
import { sessionsRoutes } from "../http/routes/sessions/sessions-routes.js";
import type { Platform } from "./platform-feature.js";
import type { SigningKeys } from "./signing-keys-feature.js";

const REVOCATION_PRUNE_INTERVAL_MS = 60_000;
/** While the bus is down, revocations are read from SQL this often: well inside the one-second bound. */
const REVOCATION_POLL_INTERVAL_MS = 500;
/** While it is up, a slow reconciliation catches an event a publisher lost. */
const REVOCATION_RECONCILE_INTERVAL_MS = 30_000;

export interface Sessions {
  sessions: SessionService;
  revocations: RevocationSet;
  stepUp: StepUpPolicy;
  csrf: CsrfTokens;
  metrics: AuthMetrics;
}

/** Loads the revocation set before returning. */
export async function startSessions(deps: Platform & SigningKeys): Promise<Sessions> {
  const { config, clock, persistence, bus, ephemeral, host, log } = deps;
  const revocations = createRevocationSet({ clock, retentionMs: (config.accessTokenTtlSeconds + 60) * 1000 });
  const sessions = createSessionService({
    persistence,
    clock,
    issuer: deps.issuer,
    verifier: deps.verifier,
    revocations,
    bus,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
    rememberMeTtlSeconds: config.rememberMeTtlSeconds,
    sessionIdleTimeoutSeconds: config.sessionIdleTimeoutSeconds,
    clientBinding: config.sessionBinding,
    cookieCacheEntries: config.cacheEntries,
    roleScopes: config.roleScopes,
    refreshGrace:
      config.refreshGraceMs > 0
        ? createRefreshGrace({ ephemeral, windowMs: config.refreshGraceMs })
        : undefined,
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
  host.onStop(() => revocationSync.stop());
  host.every(REVOCATION_PRUNE_INTERVAL_MS, async () => revocations.prune(), "pruning revocations failed");
  host.serve(csrfRoutes, sessionsRoutes);
  return {
    sessions,
    revocations,
    stepUp: createStepUpPolicy({ clock, windowSeconds: config.reauthWindowSeconds }),
    csrf: createCsrfTokens(
      deriveCsrfKey(config.secret),
      undefined,
      config.previousSecrets.map(deriveCsrfKey),
    ),
    metrics: createAuthMetrics({ revocationSetSize: () => revocations.size }),
  };
}
