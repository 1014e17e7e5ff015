/**
 * The webhook outbox's delivery worker. Acts write delivery rows in their own transaction and wake
 * this worker (webhook-outbox.ts); it also looks on a timer, for retries and for rows written by
 * other instances or the CLI. Each pass leases due deliveries (several instances may drain the
 * same outbox: a lease goes to one of them), signs each attempt afresh per the Standard Webhooks
 * specification — the same `webhook-id`, a new `webhook-timestamp` — and posts the batch
 * concurrently (one slow endpoint does not hold up the others for longer than the timeout).
 *
 * A failed attempt is retried with exponential backoff and jitter (webhook-retry.ts) until the
 * delivery has been retried for a day; the attempt after that is its last, and it is `failed`.
 * An endpoint that has then been failing for a day without a single success is disabled, a
 * `webhook.disabled` event recorded and the administrators mailed, in one transaction. Delivery
 * is at least once: a process that dies between the receiver's answer and the row's update sends
 * the delivery again once its lease lapses (receivers deduplicate on `webhook-id`).
 *
 * Passes never overlap; `drainOnce()` runs one after any in progress and resolves with what it did,
 * so tests step the worker (with a manual clock) instead of sleeping.
 */
import type { Clock } from "../domain/clock.js";
import { toSeconds } from "../domain/clock.js";
import type { Persistence, Stores } from "../domain/persistence.js";
import type { ClaimedWebhookDelivery, Webhook } from "../domain/webhooks/webhook.js";
import type { WebhookSubscriptionCache } from "../domain/webhooks/webhook-outbox.js";
import { type WebhookRetryPolicy, webhookRetryDelayMs } from "../domain/webhooks/webhook-retry.js";
import { signWebhook, type WebhookSecretBox } from "../domain/webhooks/webhook-secret.js";
import type { WebhookAttemptResult, WebhookSender } from "./webhook-sender.js";

/** Longer than the attempt timeout, so a lease never lapses while its worker is still posting. */
const LEASE_MS = 60_000;
const BATCH_SIZE = 20;
/** Batches per pass: a backlog is worked off over several passes rather than in one long one. */
const MAX_BATCHES_PER_PASS = 10;
/** Delivered and failed deliveries stay listed this long, then are deleted. */
const FINISHED_RETENTION_MS = 30 * 24 * 3_600_000;
const PRUNE_INTERVAL_MS = 3_600_000;

export interface WebhookLog {
  warn(object: unknown, message: string): void;
  error(object: unknown, message: string): void;
}

export interface WebhookDrainReport {
  delivered: number;
  retried: number;
  failed: number;
  /** Endpoints turned off in this pass. */
  disabled: number;
}

export interface WebhookWorkerOptions {
  persistence: Persistence;
  sender: WebhookSender;
  secretBox: WebhookSecretBox;
  subscriptions: WebhookSubscriptionCache;
  /** Tells the administrators, inside the transaction that disables the endpoint. */
  alertDisabled: (stores: Stores, webhook: Webhook, failingSince: number) => Promise<void>;
  clock: Clock;
  log: WebhookLog;
  retry: WebhookRetryPolicy;
  /** [0, 1), for the jitter. */
  random: () => number;
  /** How often the timer looks for due deliveries; wakes come sooner. */
  pollIntervalMs: number;
}

export interface WebhookWorker {
  /** Starts the timer and runs a first pass (deliveries left by an earlier run go out at once). */
  start(): void;
  /** Deliveries were queued or made due: run a pass soon. Nothing before `start` or after `stop`. */
  wake(): void;
  /** Runs one pass after any in progress; for tests and tools. */
  drainOnce(): Promise<WebhookDrainReport>;
  /** Stops the timer and waits for the pass in progress. */
  stop(): Promise<void>;
}

/** What the logs and the audit log may say of an endpoint: its origin, never its path or query. */
const endpointOf = (url: string) => {
  try {
    return new URL(url).origin;
  } catch {
    return "(not a URL)";
  }
};

const emptyReport = (): WebhookDrainReport => ({ delivered: 0, retried: 0, failed: 0, disabled: 0 });

/**
 * @example
 * const worker = createWebhookWorker({ persistence, sender, secretBox, subscriptions, alertDisabled, clock, log, retry, random: Math.random, pollIntervalMs: 5_000 });
 * worker.start(); … await worker.stop();
 */
export function createWebhookWorker(options: WebhookWorkerOptions): WebhookWorker {
  const { persistence, clock, log } = options;
  const store = persistence.webhooks;
  let current: Promise<WebhookDrainReport> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  let stopped = false;
  let wakeQueued = false;
  let stopping: Promise<void> | undefined;
  let lastPrune = Number.NEGATIVE_INFINITY;

  async function attempt({ delivery, webhook }: ClaimedWebhookDelivery): Promise<WebhookAttemptResult> {
    let secret: string;
    try {
      secret = options.secretBox.open(webhook.secret);
    } catch {
      // PORTCULLIS_SECRET changed since the webhook was made: it cannot be signed until it is made again.
      return {
        ok: false,
        statusCode: null,
        error: "the signing secret cannot be opened with this server secret",
      };
    }
    const timestamp = toSeconds(clock.now());
    return options.sender.send({
      url: webhook.url,
      headers: {
        "webhook-id": delivery.id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": signWebhook(secret, delivery.id, timestamp, delivery.payload),
      },
      body: delivery.payload,
    });
  }

  async function disable(webhook: Webhook, failingSince: number, report: WebhookDrainReport): Promise<void> {
    const now = clock.now();
    const disabled = await persistence.transaction(async (stores) => {
      if (!(await stores.webhooks.disableFailingWebhook(webhook.id, now))) return false;
      await stores.audit.appendAuditEvent({
        type: "webhook.disabled",
        userId: null,
        actorId: null,
        ip: null,
        userAgent: null,
        details: {
          webhookId: webhook.id,
          endpoint: endpointOf(webhook.url),
          failingSince: new Date(failingSince).toISOString(),
        },
        at: now,
      });
      await options.alertDisabled(stores, webhook, failingSince);
      return true;
    });
    options.subscriptions.invalidate();
    if (disabled) {
      report.disabled++;
      log.error(
        {
          webhookId: webhook.id,
          endpoint: endpointOf(webhook.url),
          failingSince: new Date(failingSince).toISOString(),
        },
        "webhook endpoint has failed for a day; it is disabled",
      );
    }
  }

  async function deliver(claimed: ClaimedWebhookDelivery, report: WebhookDrainReport): Promise<void> {
    const { delivery, webhook } = claimed;
    const result = await attempt(claimed);
    const attempts = delivery.attempts + 1;
    const now = clock.now();
    if (result.ok) {
      await store.recordWebhookDelivered(delivery.id, attempts, result.statusCode, now);
      await store.markWebhookHealthy(webhook.id);
      report.delivered++;
      return;
    }
    const giveUp = now >= delivery.giveUpAt;
    const delay = webhookRetryDelayMs(attempts, options.retry, options.random);
    const failingSince = await store.markWebhookFailing(webhook.id, now);
    await store.recordWebhookAttemptFailed(
      delivery.id,
      {
        attempts,
        statusCode: result.statusCode,
        error: result.error,
        nextAttemptAt: giveUp ? null : now + delay,
      },
      now,
    );
    const context = {
      webhookId: webhook.id,
      deliveryId: delivery.id,
      eventType: delivery.eventType,
      endpoint: endpointOf(webhook.url),
      attempts,
      statusCode: result.statusCode,
      error: result.error,
    };
    if (!giveUp) {
      report.retried++;
      log.warn({ ...context, retryInMs: delay }, "webhook delivery failed; will retry");
      return;
    }
    report.failed++;
    log.warn(context, "webhook delivery failed for a day; giving up");
    if (now - failingSince >= options.retry.disableAfterMs) await disable(webhook, failingSince, report);
  }

  async function pass(): Promise<WebhookDrainReport> {
    const report = emptyReport();
    const now = clock.now();
    if (now - lastPrune >= PRUNE_INTERVAL_MS) {
      lastPrune = now;
      await store.deleteFinishedWebhookDeliveries(now - FINISHED_RETENTION_MS).catch((error: unknown) => {
        log.warn({ err: error }, "pruning webhook deliveries failed; will try again");
      });
    }
    for (let batch = 0; batch < MAX_BATCHES_PER_PASS; batch++) {
      const at = clock.now();
      const due = await store.claimDueWebhookDeliveries(at, at + LEASE_MS, BATCH_SIZE);
      const outcomes = await Promise.allSettled(due.map((claimed) => deliver(claimed, report)));
      for (const outcome of outcomes) {
        // The lease lapses and the delivery is tried again: nothing is lost.
        if (outcome.status === "rejected")
          log.warn({ err: outcome.reason }, "recording a webhook attempt failed");
      }
      if (due.length < BATCH_SIZE) break;
    }
    return report;
  }

  function enqueuePass(onStart?: () => void): Promise<WebhookDrainReport> {
    const run = () => {
      onStart?.();
      // A pass queued before `stop` must not touch a database that is closing.
      return stopped ? Promise.resolve(emptyReport()) : pass();
    };
    const next = (current ?? Promise.resolve()).then(run, run);
    current = next;
    const clear = () => {
      if (current === next) current = undefined;
    };
    next.then(clear, clear);
    return next;
  }

  function scheduleTick(): void {
    // Armed when the previous tick's pass is over, so a hanging endpoint cannot pile passes up.
    timer = setTimeout(() => {
      timer = undefined;
      enqueuePass()
        .then(
          () => undefined,
          (error: unknown) => log.warn({ err: error }, "webhook worker pass failed"),
        )
        .then(() => {
          if (!stopped) scheduleTick();
        });
    }, options.pollIntervalMs);
    timer.unref();
  }

  function wake(): void {
    if (!started || stopped || wakeQueued) return;
    wakeQueued = true;
    // After the request that queued the delivery has answered and its transaction committed.
    setImmediate(() => {
      enqueuePass(() => {
        wakeQueued = false;
      }).catch((error: unknown) => log.warn({ err: error }, "webhook worker pass failed"));
    }).unref();
  }

  return {
    start() {
      if (started || stopped) return;
      started = true;
      wake();
      scheduleTick();
    },
    wake,
    drainOnce: () => enqueuePass(),
    stop() {
      stopping ??= (async () => {
        stopped = true;
        if (timer !== undefined) clearTimeout(timer);
        await current?.catch(() => {});
      })();
      return stopping;
    },
  };
}
