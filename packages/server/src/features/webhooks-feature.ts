/**
 * Webhooks: endpoints that hear of audit events, and the worker that delivers what the outbox
 * (platform-feature.ts) queued. Serves /v1/admin/webhooks.
 */
import type { WebhookService } from "../domain/webhooks/webhook-service.js";
import { adminWebhooksRoutes } from "../http/routes/admin/admin-webhooks-routes.js";
import { createWebhookServices } from "../webhooks/webhook-services.js";
import type { WebhookWorker } from "../webhooks/webhook-worker.js";
import type { Accounts } from "./accounts-feature.js";
import type { Platform } from "./platform-feature.js";

export interface Webhooks {
  webhooks: WebhookService;
  /** The webhook delivery worker, started by `buildApp`. */
  webhookWorker: WebhookWorker;
}

export function createWebhooks(deps: Platform & Accounts): Webhooks {
  const { log } = deps;
  const { service, worker } = createWebhookServices({
    config: deps.config,
    clock: deps.clock,
    persistence: deps.persistence,
    outbox: deps.webhookOutbox,
    mailer: deps.accountMail.mailer,
    log: { warn: (object, message) => log.warn(object, message), error: log.error ?? log.warn },
  });
  deps.host.worker({ start: () => worker.start(), stop: () => worker.stop() });
  deps.host.serve(adminWebhooksRoutes);
  return { webhooks: service, webhookWorker: worker };
}
