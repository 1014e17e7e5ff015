/**
 * Webhooks (API.md "Webhooks"): administrators register endpoints that hear of audit events,
 * change, disable and delete them, read their deliveries and make one due again. The signing
 * secret is made here and shown once, at creation; it is stored sealed (webhook-secret.ts).
 * Every change is an audit event with the administrator as actor (no user is its subject), and
 * clears this instance's cache of subscriptions once committed.
 */
import { randomUUID } from "node:crypto";
import { type ClientContext, isAuditEventType } from "../audit/audit-event.js";
import type { Clock } from "../clock.js";
import type { Persistence, Stores } from "../persistence.js";
import {
  ALL_EVENTS,
  type StoredWebhook,
  type Webhook,
  type WebhookChanges,
  type WebhookDelivery,
  type WebhookEventFilter,
} from "./webhook.js";
import type { WebhookSubscriptionCache } from "./webhook-outbox.js";
import { generateWebhookSecret, type WebhookSecretBox } from "./webhook-secret.js";
import { checkWebhookUrl, type WebhookUrlPolicy, type WebhookUrlRefusal } from "./webhook-url.js";

export interface WebhookServiceDeps {
  persistence: Persistence;
  clock: Clock;
  secretBox: WebhookSecretBox;
  subscriptions: WebhookSubscriptionCache;
  urlPolicy: WebhookUrlPolicy;
  /** A delivery was made due: wake the worker. */
  onDue: () => void;
  random?: (size: number) => Buffer;
}

/** Who acts: an administrator with their request's origin, or the command line (both null). */
export interface WebhookActor {
  userId: string | null;
  client: ClientContext | null;
}

export interface WebhookInput {
  url: string;
  events: readonly string[];
  description?: string | null;
}

export interface WebhookUpdate {
  url?: string;
  events?: readonly string[];
  description?: string | null;
  enabled?: boolean;
}

/**
 * What is wrong with the input, per field (`index` into `events`; null for the list as a whole):
 * a stable `code` and the `reason` in English.
 */
export type WebhookInputProblem =
  | { field: "url"; code: WebhookUrlRefusal; reason: string }
  | { field: "events"; index: number | null; code: "events_required" | "unknown_event"; reason: string };

export type CreateWebhookOutcome =
  | { ok: true; webhook: Webhook; secret: string }
  | { ok: false; code: "invalid"; problems: WebhookInputProblem[] };

export type UpdateWebhookOutcome =
  | { ok: true; webhook: Webhook }
  | { ok: false; code: "not_found" }
  | { ok: false; code: "invalid"; problems: WebhookInputProblem[] };

export interface WebhookService {
  createWebhook(input: WebhookInput, actor: WebhookActor): Promise<CreateWebhookOutcome>;
  /** Oldest first; never a secret. */
  listWebhooks(): Promise<Webhook[]>;
  updateWebhook(id: string, update: WebhookUpdate, actor: WebhookActor): Promise<UpdateWebhookOutcome>;
  /** False when there is no such webhook. Its deliveries go with it. */
  deleteWebhook(id: string, actor: WebhookActor): Promise<boolean>;
  /** Newest first; undefined when there is no such webhook. */
  listDeliveries(webhookId: string, limit: number): Promise<WebhookDelivery[] | undefined>;
  /** Makes the delivery due now (a failed one pending again); false when the webhook has no such delivery. */
  retryDelivery(webhookId: string, deliveryId: string): Promise<boolean>;
}

function eventProblems(events: readonly string[]): WebhookInputProblem[] {
  const problems: WebhookInputProblem[] = [];
  if (events.length === 0)
    problems.push({
      field: "events",
      index: null,
      code: "events_required",
      reason: 'must name at least one event type, or "*"',
    });
  events.forEach((event, index) => {
    if (event !== ALL_EVENTS && !isAuditEventType(event)) {
      problems.push({
        field: "events",
        index,
        code: "unknown_event",
        reason: `"${event}" is not an audit event type (see docs/events.md) or "*"`,
      });
    }
  });
  return problems;
}

const normaliseDescription = (description: string | null | undefined) => description?.trim() || null;

/** Only the origin goes into the audit log: a URL's path or query may hold the receiver's own token. */
const endpointOf = (url: string) => new URL(url).origin;

/**
 * @example
 * const webhooks = createWebhookService({ persistence, clock, secretBox, subscriptions, urlPolicy: { production }, onDue });
 * const created = await webhooks.createWebhook({ url, events: ["user.registered"] }, { userId, client });
 */
export function createWebhookService(deps: WebhookServiceDeps): WebhookService {
  const { persistence, clock } = deps;

  function inputProblems(input: { url?: string; events?: readonly string[] }): WebhookInputProblem[] {
    const problems: WebhookInputProblem[] = [];
    if (input.url !== undefined) {
      const verdict = checkWebhookUrl(input.url, deps.urlPolicy);
      if (!verdict.ok) problems.push({ field: "url", code: verdict.code, reason: verdict.reason });
    }
    if (input.events !== undefined) problems.push(...eventProblems(input.events));
    return problems;
  }

  /** Runs a change and clears the cache once it is over (committed or not: a rolled-back read may have been cached). */
  async function changing<T>(work: (stores: Stores) => Promise<T>): Promise<T> {
    try {
      return await persistence.transaction(work);
    } finally {
      deps.subscriptions.invalidate();
    }
  }

  const auditFields = (actor: WebhookActor, at: number) => ({
    userId: null,
    actorId: actor.userId,
    ip: actor.client?.ip ?? null,
    userAgent: actor.client?.userAgent ?? null,
    at,
  });

  return {
    async createWebhook(input, actor) {
      const problems = inputProblems(input);
      if (problems.length > 0) return { ok: false, code: "invalid", problems };
      const now = clock.now();
      const secret = generateWebhookSecret(deps.random);
      const webhook: StoredWebhook = {
        id: randomUUID(),
        url: input.url,
        events: [...new Set(input.events)] as WebhookEventFilter[],
        description: normaliseDescription(input.description),
        enabled: true,
        createdAt: now,
        updatedAt: now,
        failingSince: null,
        secret: deps.secretBox.seal(secret),
      };
      await changing(async (stores) => {
        await stores.webhooks.insertWebhook(webhook);
        await stores.audit.appendAuditEvent({
          type: "webhook.created",
          ...auditFields(actor, now),
          details: {
            webhookId: webhook.id,
            endpoint: endpointOf(webhook.url),
            events: webhook.events.join(" "),
          },
        });
      });
      const { secret: _sealed, ...shown } = webhook;
      return { ok: true, webhook: shown, secret };
    },

    listWebhooks: () => persistence.webhooks.listWebhooks(),

    async updateWebhook(id, update, actor) {
      const problems = inputProblems(update);
      if (problems.length > 0) return { ok: false, code: "invalid", problems };
      const changes: WebhookChanges = {
        ...(update.url === undefined ? {} : { url: update.url }),
        ...(update.events === undefined
          ? {}
          : { events: [...new Set(update.events)] as WebhookEventFilter[] }),
        ...(update.description === undefined
          ? {}
          : { description: normaliseDescription(update.description) }),
        ...(update.enabled === undefined ? {} : { enabled: update.enabled }),
      };
      const now = clock.now();
      const webhook = await changing(async (stores) => {
        if (Object.keys(changes).length === 0) return stores.webhooks.findWebhookById(id);
        if (!(await stores.webhooks.updateWebhook(id, changes, now))) return undefined;
        const updated = await stores.webhooks.findWebhookById(id);
        await stores.audit.appendAuditEvent({
          type: "webhook.updated",
          ...auditFields(actor, now),
          details: {
            webhookId: id,
            changed: Object.keys(changes).sort().join(" "),
            ...(updated === undefined ? {} : { endpoint: endpointOf(updated.url), enabled: updated.enabled }),
          },
        });
        return updated;
      });
      return webhook === undefined ? { ok: false, code: "not_found" } : { ok: true, webhook };
    },

    async deleteWebhook(id, actor) {
      const now = clock.now();
      return changing(async (stores) => {
        const webhook = await stores.webhooks.findWebhookById(id);
        if (webhook === undefined || !(await stores.webhooks.deleteWebhook(id))) return false;
        await stores.audit.appendAuditEvent({
          type: "webhook.deleted",
          ...auditFields(actor, now),
          details: { webhookId: id, endpoint: endpointOf(webhook.url) },
        });
        return true;
      });
    },

    async listDeliveries(webhookId, limit) {
      if ((await persistence.webhooks.findWebhookById(webhookId)) === undefined) return undefined;
      return persistence.webhooks.listWebhookDeliveries(webhookId, limit);
    },

    async retryDelivery(webhookId, deliveryId) {
      const due = await persistence.webhooks.makeWebhookDeliveryDue(webhookId, deliveryId, clock.now());
      if (due) deps.onDue();
      return due;
    },
  };
}
