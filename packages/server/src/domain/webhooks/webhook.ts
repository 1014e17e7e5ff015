/**
 * Webhooks as the domain sees them: an endpoint an administrator registered, the audit event types
 * it subscribes to, and one delivery row per (event, endpoint) in a durable outbox, written in the
 * same transaction as the act (see webhook-outbox.ts) and posted by a worker per the Standard
 * Webhooks specification. The storage port is named after what the service and the worker do.
 */
import type { AuditEventType } from "../audit/audit-event.js";
import type { SealedWebhookSecret } from "./webhook-secret.js";

/** What a webhook subscribes to: event types, or `"*"` for every one. */
export type WebhookEventFilter = AuditEventType | "*";

export const ALL_EVENTS = "*";

export interface Webhook {
  id: string;
  url: string;
  events: WebhookEventFilter[];
  description: string | null;
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
  /** When its deliveries started failing without a success since; null while healthy. */
  failingSince: number | null;
}

/** A webhook with what signing needs; only the worker and the store see it. */
export interface StoredWebhook extends Webhook {
  secret: SealedWebhookSecret;
}

/** An enabled webhook, as the outbox matches events against it (cached in memory). */
export interface WebhookSubscription {
  id: string;
  events: readonly WebhookEventFilter[];
}

export type WebhookDeliveryStatus = "pending" | "delivered" | "failed";

export interface WebhookDelivery {
  /** The `webhook-id` header: the same on every attempt. */
  id: string;
  webhookId: string;
  eventType: string;
  /** The exact JSON body, fixed when the event happened: `{type, timestamp, data}`. */
  payload: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  /** Why the last attempt failed, in a few words (never the URL's path or query). */
  lastError: string | null;
  createdAt: number;
  nextAttemptAt: number;
  deliveredAt: number | null;
  /** A failed attempt at or after this time is the last one: the delivery becomes `failed`. */
  giveUpAt: number;
}

/** A due delivery leased to one worker, with its endpoint. */
export interface ClaimedWebhookDelivery {
  delivery: WebhookDelivery;
  webhook: StoredWebhook;
}

/** A delivery row to write for each webhook that still exists and is enabled. */
export interface NewWebhookDelivery {
  id: string;
  webhookId: string;
  eventType: string;
  payload: string;
  createdAt: number;
  giveUpAt: number;
}

export interface WebhookChanges {
  url?: string;
  events?: WebhookEventFilter[];
  description?: string | null;
  enabled?: boolean;
}

export interface WebhookStore {
  insertWebhook(webhook: StoredWebhook): Promise<void>;
  findWebhookById(id: string): Promise<Webhook | undefined>;
  /** Oldest first. */
  listWebhooks(): Promise<Webhook[]>;
  /** What the outbox matches events against. */
  listEnabledWebhookSubscriptions(): Promise<WebhookSubscription[]>;
  /** Re-enabling also forgets `failingSince`. False when there is no such webhook. */
  updateWebhook(id: string, changes: WebhookChanges, at: number): Promise<boolean>;
  /** Deletes it and its deliveries; false when there was no such webhook. */
  deleteWebhook(id: string): Promise<boolean>;
  /**
   * Writes each delivery whose webhook exists and is enabled at this moment (the caller's list may
   * come from a cache a few seconds old); returns how many were written.
   */
  insertWebhookDeliveries(deliveries: NewWebhookDelivery[]): Promise<number>;
  /** Newest first. */
  listWebhookDeliveries(webhookId: string, limit: number): Promise<WebhookDelivery[]>;
  /** Pending again and due at `now`; false when the webhook has no such delivery. */
  makeWebhookDeliveryDue(webhookId: string, deliveryId: string, now: number): Promise<boolean>;
  /**
   * Leases up to `limit` pending deliveries due at `now`, of enabled webhooks, until `leaseUntil`;
   * each to one caller only (a compare-and-swap on the lease, so several instances may drain).
   */
  claimDueWebhookDeliveries(
    now: number,
    leaseUntil: number,
    limit: number,
  ): Promise<ClaimedWebhookDelivery[]>;
  recordWebhookDelivered(id: string, attempts: number, statusCode: number, at: number): Promise<void>;
  /** Pending, next attempt at `nextAttemptAt`; or `failed` when `nextAttemptAt` is null. */
  recordWebhookAttemptFailed(
    id: string,
    attempt: { attempts: number; statusCode: number | null; error: string; nextAttemptAt: number | null },
    at: number,
  ): Promise<void>;
  /** The endpoint answered: it is healthy again. */
  markWebhookHealthy(id: string): Promise<void>;
  /** Sets `failingSince` unless it is set; returns it (the first failure since the last success). */
  markWebhookFailing(id: string, at: number): Promise<number>;
  /** Compare-and-swap: true only for the one caller that turned an enabled webhook off. */
  disableFailingWebhook(id: string, at: number): Promise<boolean>;
  /** Deletes delivered and failed deliveries finished before `before`, and any left by a deleted webhook. */
  deleteFinishedWebhookDeliveries(before: number): Promise<number>;
  /** Addresses of the enabled users holding `role`: who hears that an endpoint was turned off. */
  listWebhookAlertRecipients(role: string): Promise<{ userId: string; email: string }[]>;
}
