/**
 * The webhook outbox: every audit event recorded inside an act's transaction also writes one
 * delivery row per enabled webhook subscribed to its type, in that same transaction — so a
 * rolled-back act notifies nobody and a committed one loses no notification (the transactional
 * outbox pattern, as the mail outbox). The worker (webhooks/webhook-worker.ts) posts them later.
 *
 * It wraps the `Persistence` port rather than changing the services: every service already
 * records its events through `stores.audit.appendAuditEvent`, and this is the one place that
 * hears each of them. The cost when no webhook is subscribed is a lookup in memory: the enabled
 * webhooks are cached for `ttlMs`. A change made by this instance clears the cache at once; one
 * made by another instance (or the CLI) is seen within `ttlMs`, and events in that window are
 * matched against the older list. The row is written only if its webhook still exists and is
 * enabled, so a stale cache can miss a new webhook for a few seconds but never write to a deleted one.
 */
import { randomUUID } from "node:crypto";
import type { AuditEvent } from "../audit/audit-event.js";
import type { Clock } from "../clock.js";
import type { AuditStore, Persistence, Stores } from "../persistence.js";
import { ALL_EVENTS, type WebhookStore, type WebhookSubscription } from "./webhook.js";

export interface WebhookSubscriptionCache {
  /** Ids of the enabled webhooks subscribed to `type`; read through `store` when the copy is stale. */
  subscribersOf(type: string, store: WebhookStore): Promise<string[]>;
  /** Webhooks changed here: the next event reads them again. */
  invalidate(): void;
}

/**
 * @example
 * const subscriptions = createWebhookSubscriptionCache({ clock, ttlMs: 5_000 });
 * await subscriptions.subscribersOf("user.registered", stores.webhooks); // ["9f1c…"]
 */
export function createWebhookSubscriptionCache(options: {
  clock: Clock;
  ttlMs: number;
}): WebhookSubscriptionCache {
  let cached: readonly WebhookSubscription[] | null = null;
  let loadedAt = 0;
  // A read that started before an invalidation must not store what it read.
  let generation = 0;

  const matching = (subscriptions: readonly WebhookSubscription[], type: string) =>
    subscriptions
      .filter((subscription) => subscription.events.some((event) => event === type || event === ALL_EVENTS))
      .map((subscription) => subscription.id);

  return {
    async subscribersOf(type, store) {
      const now = options.clock.now();
      if (cached !== null && now >= loadedAt && now - loadedAt < options.ttlMs) return matching(cached, type);
      const started = generation;
      const fresh = await store.listEnabledWebhookSubscriptions();
      if (started === generation) {
        cached = fresh;
        loadedAt = now;
      }
      return matching(fresh, type);
    },
    invalidate() {
      generation += 1;
      cached = null;
    },
  };
}

/**
 * The body every attempt of a delivery sends (Standard Webhooks: `{type, timestamp, data}`).
 * `data` holds the event's ids only — its subject, its actor and the details named `…Id` — never
 * an address, a reason or anything else the details may say; a receiver that needs more asks the
 * admin API.
 * @example webhookPayload(event) // '{"type":"user.registered","timestamp":"2026-01-01T00:00:00.000Z","data":{"userId":"…","actorId":"…"}}'
 */
export function webhookPayload(event: AuditEvent): string {
  const data: Record<string, string | null> = { userId: event.userId, actorId: event.actorId };
  for (const [name, value] of Object.entries(event.details)) {
    if (/^[a-z][A-Za-z]*Id$/.test(name) && typeof value === "string") data[name] = value;
  }
  return JSON.stringify({ type: event.type, timestamp: new Date(event.at).toISOString(), data });
}

export interface WebhookOutboxDeps {
  clock: Clock;
  subscriptions: WebhookSubscriptionCache;
  /** How long after queueing a delivery is still retried. */
  retryForMs: number;
  /** After a commit that wrote deliveries: wake the worker. */
  onQueued: () => void;
}

/**
 * `persistence`, with every audit event also queueing its webhook deliveries in the event's
 * transaction.
 * @example const persistence = withWebhookOutbox(createSqlPersistence(database), { clock, subscriptions, retryForMs, onQueued });
 */
export function withWebhookOutbox(persistence: Persistence, deps: WebhookOutboxDeps): Persistence {
  async function queueDeliveries(stores: Stores, event: AuditEvent): Promise<number> {
    const subscribers = await deps.subscriptions.subscribersOf(event.type, stores.webhooks);
    if (subscribers.length === 0) return 0;
    const payload = webhookPayload(event);
    const now = deps.clock.now();
    return stores.webhooks.insertWebhookDeliveries(
      subscribers.map((webhookId) => ({
        id: randomUUID(),
        webhookId,
        eventType: event.type,
        payload,
        createdAt: now,
        giveUpAt: now + deps.retryForMs,
      })),
    );
  }

  function bind(stores: Stores, queued: () => void): Stores {
    const audit: AuditStore = {
      ...stores.audit,
      async appendAuditEvent(event) {
        await stores.audit.appendAuditEvent(event);
        if ((await queueDeliveries(stores, event)) > 0) queued();
      },
    };
    return { ...stores, audit };
  }

  async function transaction<T>(work: (stores: Stores) => Promise<T>): Promise<T> {
    let queued = false;
    const result = await persistence.transaction((stores) =>
      work(
        bind(stores, () => {
          queued = true;
        }),
      ),
    );
    // After the commit, so the worker finds the rows; a rolled-back act never gets here.
    if (queued) deps.onQueued();
    return result;
  }

  return {
    ...persistence,
    // An event recorded outside a transaction gets one of its own, shared with its deliveries.
    audit: {
      ...persistence.audit,
      appendAuditEvent: (event) => transaction((stores) => stores.audit.appendAuditEvent(event)),
    },
    transaction,
  };
}
