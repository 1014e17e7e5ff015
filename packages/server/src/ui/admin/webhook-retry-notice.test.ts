import { describe, expect, it } from "vitest";
import type { WebhookDelivery } from "../../domain/webhooks/webhook.js";
import { loadCatalogue } from "../i18n/catalogue.js";
import { retriedQuery, retryNoticeKey, retryNoticeOf } from "./webhook-retry-notice.js";

const delivery = (status: WebhookDelivery["status"], attempts: number): WebhookDelivery => ({
  id: "d1",
  webhookId: "w1",
  eventType: "user.registered",
  payload: "{}",
  status,
  attempts,
  lastStatusCode: null,
  lastError: null,
  createdAt: 0,
  nextAttemptAt: 0,
  deliveredAt: null,
  giveUpAt: 0,
});

describe("retryNoticeKey", () => {
  it("says it will be tried now only while no attempt followed the retry", () => {
    expect(retryNoticeKey(delivery("pending", 1), 1)).toBe("due");
    expect(retryNoticeKey(delivery("pending", 2), 1)).toBe("failedAgain");
  });

  it("says how the retry ended once it has", () => {
    expect(retryNoticeKey(delivery("delivered", 2), 1)).toBe("delivered");
    expect(retryNoticeKey(delivery("failed", 9), 8)).toBe("failed");
  });

  it("claims no outcome when the delivery or the attempts before are unknown", () => {
    expect(retryNoticeKey(undefined, 1)).toBe("queued");
    expect(retryNoticeKey(delivery("pending", 3), undefined)).toBe("queued");
    // Delivered is delivered, whatever the URL says about before.
    expect(retryNoticeKey(delivery("delivered", 3), undefined)).toBe("delivered");
  });
});

describe("retryNoticeOf", () => {
  it("reads the redirect's query and answers in the reader's language", async () => {
    const catalogue = await loadCatalogue();
    const en = catalogue.find("en")?.messages;
    const de = catalogue.find("de")?.messages;
    if (en === undefined || de === undefined) throw new Error("catalogues missing");
    const query = Object.fromEntries(new URLSearchParams(retriedQuery("d1", 1)));
    expect(query).toEqual({ notice: "retried", delivery: "d1", attempts: "1" });

    expect(retryNoticeOf(en, query, [delivery("delivered", 2)])).toBe(
      "The delivery was tried again and delivered.",
    );
    expect(retryNoticeOf(en, query, [delivery("pending", 1)])).toBe("The delivery will be tried again now.");
    expect(retryNoticeOf(de, query, [delivery("pending", 2)])).toBe(
      "Die Zustellung wurde erneut versucht und ist gescheitert; sie wird später wieder versucht.",
    );
    // A forged attempts count is ignored rather than trusted.
    expect(retryNoticeOf(en, { ...query, attempts: "1e3" }, [delivery("pending", 2)])).toBe(
      "The delivery was queued to be tried again.",
    );
    expect(retryNoticeOf(en, { notice: "saved" }, [delivery("pending", 1)])).toBeUndefined();
  });
});
