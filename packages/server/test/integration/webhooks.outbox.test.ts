/**
 * Invariant: a webhook delivery is written in the same transaction as the act whose audit event it
 * carries — an act that fails (here: registration, whose verification mail cannot be queued) leaves
 * no delivery, and no receiver ever hears of it. A webhook deleted or disabled on this instance
 * gets nothing from the next event on; one changed on another instance is seen within the
 * subscription cache's lifetime (five seconds), and a stale cache never writes a delivery for a
 * webhook that no longer exists or is disabled.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WEBHOOK_SUBSCRIPTION_TTL_MS } from "../../src/webhooks/webhook-services.js";
import { createAdmin, type SignedIn, send } from "../support/accounts.js";
import { withFailingWrites } from "../support/sql-faults.js";
import {
  createManualClock,
  createTestApp,
  STRONG_PASSWORD,
  type TestApp,
  uniqueEmail,
} from "../support/test-app.js";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.js";
import { createWebhook, listDeliveries, registerUser } from "../support/webhooks.js";

describe("webhooks › outbox", () => {
  const clock = createManualClock();
  let t: TestApp;
  let admin: SignedIn;
  let hooks: WebhookReceiver;

  beforeAll(async () => {
    t = await createTestApp({ clock });
    admin = await createAdmin(t);
    hooks = await startWebhookReceiver();
  });
  afterEach(async () => {
    const listed = await send(t, "GET", "/v1/admin/webhooks", admin.headers);
    for (const webhook of listed.json<{ webhooks: { id: string }[] }>().webhooks) {
      await send(t, "DELETE", `/v1/admin/webhooks/${webhook.id}`, admin.headers);
    }
  });
  afterAll(async () => {
    await hooks.close();
    await t.close();
  });

  it("writes no delivery for an act that rolls back, and one for the same act once it commits", async () => {
    const { webhook, secret } = await createWebhook(t, admin, { url: hooks.url(), events: ["*"] });
    hooks.useSecret(secret);
    const before = hooks.received.length;
    const email = uniqueEmail("rolled-back");

    // user.registered (and its delivery) is written before the verification mail, which fails.
    await withFailingWrites(
      t.database,
      { name: "fail_mail", table: "mail_outbox", event: "insert", message: "mail outbox refused" },
      async () => {
        const response = await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD });
        expect(response.statusCode).toBe(500);
      },
    );
    await t.services.webhookWorker.drainOnce();
    expect(await listDeliveries(t, admin, webhook.id)).toEqual([]);
    expect(hooks.received.length).toBe(before);

    const userId = await registerUser(t, email);
    await t.services.webhookWorker.drainOnce();
    const delivered = await listDeliveries(t, admin, webhook.id);
    expect(delivered.map((delivery) => delivery.eventType).sort()).toEqual([
      "email.verification_sent",
      "user.registered",
    ]);
    expect(hooks.received.slice(before).every((hook) => hook.payload.data.userId === userId)).toBe(true);
  });

  it("queues nothing for a webhook disabled or deleted on this instance, from the next event on", async () => {
    const disabled = await createWebhook(t, admin, { url: hooks.url(), events: ["user.registered"] });
    const deleted = await createWebhook(t, admin, { url: hooks.url(), events: ["user.registered"] });
    await registerUser(t);
    await t.services.webhookWorker.drainOnce();
    expect(await listDeliveries(t, admin, disabled.webhook.id)).toHaveLength(1);

    await send(t, "PATCH", `/v1/admin/webhooks/${disabled.webhook.id}`, admin.headers, { enabled: false });
    await send(t, "DELETE", `/v1/admin/webhooks/${deleted.webhook.id}`, admin.headers);
    const before = hooks.received.length;
    await registerUser(t);
    await t.services.webhookWorker.drainOnce();
    expect(await listDeliveries(t, admin, disabled.webhook.id)).toHaveLength(1);
    expect(hooks.received.length).toBe(before);
  });

  describe("with a second instance on the same database", () => {
    const otherClock = createManualClock();
    let other: TestApp;

    beforeAll(async () => {
      other = await createTestApp({ clock: otherClock, env: { DATABASE_URL: t.config.databaseUrl } });
    });
    afterAll(() => other.close());

    it("matches a webhook made elsewhere within the cache's lifetime, and never writes for one deleted elsewhere", async () => {
      // The other instance reads (and caches) the subscriptions: none yet.
      await registerUser(other);
      const { webhook } = await createWebhook(t, admin, { url: hooks.url(), events: ["user.registered"] });

      otherClock.advance(WEBHOOK_SUBSCRIPTION_TTL_MS);
      const userId = await registerUser(other);
      await other.services.webhookWorker.drainOnce();
      const deliveries = await listDeliveries(t, admin, webhook.id);
      expect(deliveries).toHaveLength(1);
      expect(hooks.received.at(-1)?.payload.data.userId).toBe(userId);

      // Deleted here; the other instance still has it in its cache, yet writes nothing for it.
      await send(t, "DELETE", `/v1/admin/webhooks/${webhook.id}`, admin.headers);
      await registerUser(other);
      const orphans = await t.database.db
        .selectFrom("webhook_deliveries")
        .select("id")
        .where("webhook_id", "=", webhook.id)
        .execute();
      expect(orphans).toEqual([]);
    });
  });
});
