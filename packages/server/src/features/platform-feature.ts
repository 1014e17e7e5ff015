/**
 * The ground every feature stands on: the SQL persistence, wrapped so that every audit event
 * queues its webhook deliveries in the same transaction, and the state instances share (Redis or
 * memory, and the revocation bus: store/shared-state.ts). Serves the operations endpoints.
 */
import type { EphemeralStore } from "../domain/ephemeral/ephemeral-store.js";
import type { Persistence } from "../domain/persistence.js";
import type { RequestLimiter } from "../domain/rate-limit/limiter.js";
import type { RevocationBus } from "../domain/sessions/revocation.js";
import { operationsRoutes } from "../http/routes/operations/operations-routes.js";
import { type DependencyStatus, openSharedState, type SharedState } from "../store/shared-state.js";
import { isDatabaseUnavailable } from "../store/sql/sql-errors.js";
import { createSqlPersistence } from "../store/sql/sql-persistence.js";
import { createWebhookOutbox, type WebhookOutbox } from "../webhooks/webhook-services.js";
import type { FeatureContext } from "./feature-context.js";

export interface Platform extends FeatureContext {
  persistence: Persistence;
  shared: SharedState;
  bus: RevocationBus;
  ephemeral: EphemeralStore;
  /** The outbox `persistence` writes webhook deliveries to; the webhooks feature binds its worker. */
  webhookOutbox: WebhookOutbox;
  /** Who hears of every committed write to a user row (the user cache, built later). */
  onUserChanged(listener: (userId: string) => void): void;
  /** Who hears that mail was committed to the outbox (the mail worker, built later). */
  onMailQueued(listener: () => void): void;
  publicEndpointLimiter: RequestLimiter;
  /** Dependencies the instance can live without for a while (Redis, the revocation bus), for /readyz. */
  optionalDependencies(): Promise<Record<string, DependencyStatus>>;
  /** True for an error that means the database is down: the HTTP layer answers 503, not 500. */
  isDependencyDown(error: unknown): boolean;
}

export async function openPlatform(context: FeatureContext): Promise<Platform> {
  const { config, deps, clock, host } = context;
  let userChanged: (userId: string) => void = () => {};
  let mailQueued: () => void = () => {};
  const webhookOutbox = createWebhookOutbox(clock);
  const persistence = webhookOutbox.wrap(
    createSqlPersistence(deps.database, {
      onUserChanged: (userId) => userChanged(userId),
      onMailQueued: () => mailQueued(),
    }),
  );
  // Chosen by the configuration (REDIS_URL, the database): see store/shared-state.ts.
  const shared = await openSharedState({
    redisUrl: config.redisUrl,
    prefix: config.redisPrefix,
    database: deps.database,
    databaseUrl: config.databaseUrl,
    clock,
  });
  host.onStop(() => shared.close());
  host.serve(operationsRoutes);
  return {
    ...context,
    persistence,
    shared,
    bus: shared.bus,
    ephemeral: shared.ephemeral,
    webhookOutbox,
    onUserChanged: (listener) => {
      userChanged = listener;
    },
    onMailQueued: (listener) => {
      mailQueued = listener;
    },
    publicEndpointLimiter: shared.requestLimiter(config.rateLimit, "public"),
    optionalDependencies: () => shared.optionalDependencies(),
    isDependencyDown: isDatabaseUnavailable,
  };
}
