/**
 * The notice after "Retry" on a webhook delivery. A retry only makes the delivery due; the worker
 * is woken at once and may have finished the attempt before the page that follows is rendered, so
 * the words are chosen from the delivery as it is when the page is shown, against the attempts it
 * had when the retry was asked for (carried in the redirect's query).
 */
import type { WebhookDelivery } from "../../domain/webhooks/webhook.js";
import type { Messages } from "../i18n/catalogue.js";

export type RetryNoticeKey = keyof Messages["admin"]["webhooksPage"]["retryNotices"];

/** Attempts are counted in an integer column; a longer number in a URL is not one we wrote. */
const ATTEMPTS = /^\d{1,9}$/;

/** The query after a retry: `?notice=retried&delivery=ID&attempts=N` (N: the attempts before it). */
export function retriedQuery(deliveryId: string, attemptsBefore: number | undefined): string {
  const params = new URLSearchParams({ notice: "retried", delivery: deliveryId });
  if (attemptsBefore !== undefined) params.set("attempts", String(attemptsBefore));
  return params.toString();
}

/**
 * Which words are true of `delivery` now. Without the delivery (no longer among those listed) or
 * the attempts before the retry, only that it was made due again is known.
 */
export function retryNoticeKey(
  delivery: Pick<WebhookDelivery, "status" | "attempts"> | undefined,
  attemptsBefore: number | undefined,
): RetryNoticeKey {
  if (delivery === undefined) return "queued";
  if (delivery.status === "delivered") return "delivered";
  if (delivery.status === "failed") return "failed";
  if (attemptsBefore === undefined) return "queued";
  return delivery.attempts > attemptsBefore ? "failedAgain" : "due";
}

/** The notice for a page's query, or undefined when the query is not a retry's. */
export function retryNoticeOf(
  t: Messages,
  query: unknown,
  deliveries: readonly WebhookDelivery[],
): string | undefined {
  const { notice, delivery, attempts } = (query ?? {}) as Record<string, unknown>;
  if (notice !== "retried") return undefined;
  const retried = typeof delivery === "string" ? deliveries.find((each) => each.id === delivery) : undefined;
  const before = typeof attempts === "string" && ATTEMPTS.test(attempts) ? Number(attempts) : undefined;
  return t.admin.webhooksPage.retryNotices[retryNoticeKey(retried, before)];
}
