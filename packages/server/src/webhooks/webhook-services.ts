/**
 * Wiring of webhooks, called by the webhooks feature (`features/webhooks-feature.ts`) in two steps:
 * `createWebhookOutbox` before anything uses the persistence (it wraps it, so every audit event
 * queues its deliveries), and `createWebhookServices` once mail exists (the worker mails the
 * administrators when it turns an endpoint off). It makes no decisions beyond the configuration.
 */
import type { Config } from "../config/config.js";
import { ADMIN_ROLE } from "../domain/authz/roles.js";
import type { Clock } from "../domain/clock.js";
import type { AccountMailer } from "../domain/mail/account-mailer.js";
import type { Persistence } from "../domain/persistence.js";
import {
  createWebhookSubscriptionCache,
  type WebhookSubscriptionCache,
  withWebhookOutbox,
} from "../domain/webhooks/webhook-outbox.js";
import { DEFAULT_WEBHOOK_RETRY_POLICY } from "../domain/webhooks/webhook-retry.js";
import { createWebhookSecretBox } from "../domain/webhooks/webhook-secret.js";
import { createWebhookService, type WebhookService } from "../domain/webhooks/webhook-service.js";
import { createWebhookSender } from "./webhook-sender.js";
import { createWebhookWorker, type WebhookLog, type WebhookWorker } from "./webhook-worker.js";

/**
 * How long an instance matches events against its copy of the enabled webhooks. A change made on
 * this instance applies at once; one made on another instance (or with the CLI) within this time.
 */
export const WEBHOOK_SUBSCRIPTION_TTL_MS = 5_000;
/** Standard Webhooks asks receivers to answer fast; a slower answer counts as a failure. */
export const WEBHOOK_TIMEOUT_MS = 10_000;
const WEBHOOK_POLL_INTERVAL_MS = 5_000;

export interface WebhookOutbox {
  subscriptions: WebhookSubscriptionCache;
  /** `persistence`, with every audit event queueing its webhook deliveries in its transaction. */
  wrap(persistence: Persistence): Persistence;
  /** Wakes the worker once one exists (`createWebhookServices` binds it). */
  wake(): void;
}

export function createWebhookOutbox(clock: Clock): WebhookOutbox {
  const subscriptions = createWebhookSubscriptionCache({ clock, ttlMs: WEBHOOK_SUBSCRIPTION_TTL_MS });
  const outbox: WebhookOutbox = {
    subscriptions,
    wrap: (persistence) =>
      withWebhookOutbox(persistence, {
        clock,
        subscriptions,
        retryForMs: DEFAULT_WEBHOOK_RETRY_POLICY.retryForMs,
        onQueued: () => outbox.wake(),
      }),
    wake: () => {},
  };
  return outbox;
}

export interface WebhookServicesDeps {
  config: Config & { secret: string };
  clock: Clock;
  /** Already wrapped by `outbox`. */
  persistence: Persistence;
  outbox: WebhookOutbox;
  mailer: AccountMailer;
  log: WebhookLog;
}

export interface WebhookServices {
  service: WebhookService;
  /** Not started here: the server starts it (`buildApp`), the CLI does not. */
  worker: WebhookWorker;
}

export function createWebhookServices(deps: WebhookServicesDeps): WebhookServices {
  const { config, clock, persistence, outbox } = deps;
  const production = config.env === "production";
  const secretBox = createWebhookSecretBox({
    secret: config.secret,
    previousSecrets: config.previousSecrets,
  });
  const worker = createWebhookWorker({
    persistence,
    sender: createWebhookSender({ timeoutMs: WEBHOOK_TIMEOUT_MS, production }),
    secretBox,
    subscriptions: outbox.subscriptions,
    async alertDisabled(stores, webhook, failingSince) {
      for (const admin of await stores.webhooks.listWebhookAlertRecipients(ADMIN_ROLE)) {
        await deps.mailer.queueIn(stores, admin.userId, {
          kind: "webhook_disabled",
          to: admin.email,
          webhookId: webhook.id,
          endpoint: new URL(webhook.url).origin,
          description: webhook.description,
          failingSince,
        });
      }
    },
    clock,
    log: deps.log,
    retry: DEFAULT_WEBHOOK_RETRY_POLICY,
    random: Math.random,
    pollIntervalMs: WEBHOOK_POLL_INTERVAL_MS,
  });
  outbox.wake = () => worker.wake();
  const service = createWebhookService({
    persistence,
    clock,
    secretBox,
    subscriptions: outbox.subscriptions,
    urlPolicy: { production },
    onDue: () => worker.wake(),
  });
  return { service, worker };
}
