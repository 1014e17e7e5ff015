/**
 * Invariant: every committed audit event reaches each enabled webhook subscribed to its type (or
 * to "*") as a Standard Webhooks request — `POST`, `content-type: application/json`, `webhook-id`
 * (the delivery id, the same on every attempt), `webhook-timestamp` (seconds, of the attempt) and
 * `webhook-signature` (`v1,` + base64 HMAC-SHA256 under the secret's decoded bytes over
 * `{id}.{timestamp}.{body}`) — with the body `{type, timestamp, data}` holding ids only. A receiver
 * that fails (an error status, a refused connection) is retried with exponential backoff and
 * jitter, for at least a day; then the delivery is `failed`, and an endpoint failing for a day is
 * disabled, recorded as `webhook.disabled` and mailed to the administrators (API.md "Webhooks").
 *
 * A real receiver verifies every signature with node:crypto alone; a manual clock moves time, and
 * the worker is stepped with `drainOnce()`, so backoff is tested without sleeping. Assertions are
 * on what the receiver got and what the API lists, not on which pass did the work: the worker also
 * wakes by itself when an act commits.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createAdmin, loginAs, type SignedIn, send } from "../support/accounts.js";
import { mailsTo } from "../support/mail-outbox-folder.js";
import { createManualClock, createTestApp, type TestApp, uniqueEmail } from "../support/test-app.js";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.js";
import { createWebhook, listDeliveries, registerUser } from "../support/webhooks.js";

const SECOND = 1_000;
const HOUR = 3_600_000;

describe("webhooks › delivery", () => {
  const clock = createManualClock();
  let t: TestApp;
  let admin: SignedIn;
  const receivers: WebhookReceiver[] = [];

  async function receiver(): Promise<WebhookReceiver> {
    const started = await startWebhookReceiver();
    receivers.push(started);
    return started;
  }

  const drain = () => t.services.webhookWorker.drainOnce();
  const seconds = () => Math.floor(clock.now() / SECOND);

  beforeAll(async () => {
    t = await createTestApp({ clock });
    admin = await createAdmin(t);
  });
  afterEach(async () => {
    // A fresh sign-in: a test may have moved the clock past the access token's lifetime.
    admin = await loginAs(t, admin.email);
    const listed = await send(t, "GET", "/v1/admin/webhooks", admin.headers);
    for (const webhook of listed.json<{ webhooks: { id: string }[] }>().webhooks) {
      await send(t, "DELETE", `/v1/admin/webhooks/${webhook.id}`, admin.headers);
    }
    for (const started of receivers.splice(0)) await started.close();
  });
  afterAll(() => t.close());

  it("posts a registration's user.registered to its webhook, signed as Standard Webhooks says", async () => {
    const hooks = await receiver();
    const { webhook, secret } = await createWebhook(t, admin, {
      url: hooks.url(),
      events: ["user.registered"],
    });
    hooks.useSecret(secret);

    const userId = await registerUser(t);
    await drain();

    // Registration also records email.verification_sent: not subscribed, not sent.
    expect(hooks.received).toHaveLength(1);
    const [hook] = hooks.received;
    expect(hook?.verified).toBe(true);
    expect(hook?.contentType).toBe("application/json");
    expect(hook?.timestamp).toBe(seconds());
    expect(hook?.payload).toEqual({
      type: "user.registered",
      timestamp: new Date(clock.now()).toISOString(),
      data: { userId, actorId: userId },
    });
    const [delivery, ...others] = await listDeliveries(t, admin, webhook.id);
    expect(others).toEqual([]);
    expect(delivery).toMatchObject({
      id: hook?.id,
      eventType: "user.registered",
      status: "delivered",
      attempts: 1,
      lastStatusCode: 204,
      createdAt: new Date(clock.now()).toISOString(),
      deliveredAt: new Date(clock.now()).toISOString(),
    });
  });

  it("sends a webhook only the types it names, and every type to one subscribed to *", async () => {
    const onlyLogins = await receiver();
    const everything = await receiver();
    const logins = await createWebhook(t, admin, { url: onlyLogins.url(), events: ["login.succeeded"] });
    const all = await createWebhook(t, admin, { url: everything.url(), events: ["*"] });
    onlyLogins.useSecret(logins.secret);
    everything.useSecret(all.secret);

    const email = uniqueEmail("filtered");
    const userId = await registerUser(t, email);
    const signedIn = await loginAs(t, email);
    await drain();

    expect(onlyLogins.received.map((hook) => hook.payload.type)).toEqual(["login.succeeded"]);
    expect(onlyLogins.received[0]?.payload.data).toMatchObject({ userId, sessionId: expect.any(String) });
    const types = everything.received.map((hook) => hook.payload.type);
    expect(types).toEqual(
      expect.arrayContaining(["user.registered", "email.verification_sent", "login.succeeded"]),
    );
    expect(everything.received.every((hook) => hook.verified)).toBe(true);
    // Each endpoint has its own delivery, and so its own webhook-id, for the same event.
    const loginIds = [onlyLogins, everything].map(
      (hooks) => hooks.received.find((hook) => hook.payload.type === "login.succeeded")?.id,
    );
    expect(new Set(loginIds).size).toBe(2);
    // ids only: never the session's tokens, the address, or anything else the event's details say.
    for (const hook of everything.received) {
      expect(hook.body).not.toContain(email);
      expect(hook.body).not.toContain(signedIn.accessToken);
      expect(hook.body).not.toContain(signedIn.refreshToken);
      for (const name of Object.keys(hook.payload.data)) expect(name).toMatch(/Id$/);
    }
  });

  it("retries a receiver answering 500 with exponential backoff, with the same webhook-id and a fresh timestamp", async () => {
    const hooks = await receiver();
    const { webhook, secret } = await createWebhook(t, admin, {
      url: hooks.url(),
      events: ["user.registered"],
    });
    hooks.useSecret(secret);
    hooks.answerWith(500);

    await registerUser(t);
    await drain();
    expect(hooks.received).toHaveLength(1);
    const [failed] = await listDeliveries(t, admin, webhook.id);
    expect(failed).toMatchObject({
      status: "pending",
      attempts: 1,
      lastStatusCode: 500,
      lastError: "answered 500",
      deliveredAt: null,
    });
    // After one failure the next attempt comes 5 to 10 s later (10 s, half of it jittered).
    const nextAt = Date.parse(failed?.nextAttemptAt ?? "");
    expect(nextAt - clock.now()).toBeGreaterThanOrEqual(5 * SECOND);
    expect(nextAt - clock.now()).toBeLessThanOrEqual(10 * SECOND);

    clock.advance(4 * SECOND);
    await drain();
    expect(hooks.received).toHaveLength(1);
    clock.advance(6 * SECOND);
    await drain();
    expect(hooks.received).toHaveLength(2);
    // After two failures: 10 to 20 s.
    clock.advance(9 * SECOND);
    await drain();
    expect(hooks.received).toHaveLength(2);
    hooks.answerWith(200);
    clock.advance(11 * SECOND);
    await drain();

    expect(hooks.received).toHaveLength(3);
    const [first, , last] = hooks.received;
    expect(last?.id).toBe(first?.id);
    expect(last?.body).toBe(first?.body);
    expect(last?.timestamp).toBe((first?.timestamp ?? 0) + 30);
    expect(hooks.received.every((hook) => hook.verified)).toBe(true);
    expect((await listDeliveries(t, admin, webhook.id))[0]).toMatchObject({
      id: first?.id,
      status: "delivered",
      attempts: 3,
      lastStatusCode: 200,
      lastError: null,
      deliveredAt: new Date(clock.now()).toISOString(),
      nextAttemptAt: null,
    });
  });

  it("retries a receiver that is down (connection refused) and delivers once it is back", async () => {
    const hooks = await receiver();
    const { webhook, secret } = await createWebhook(t, admin, {
      url: hooks.url(),
      events: ["user.registered"],
    });
    hooks.useSecret(secret);
    await hooks.goDown();

    await registerUser(t);
    await drain();
    const [refused] = await listDeliveries(t, admin, webhook.id);
    expect(refused).toMatchObject({
      status: "pending",
      attempts: 1,
      lastStatusCode: null,
      lastError: "connection refused",
    });

    await hooks.comeBack();
    clock.advance(10 * SECOND);
    await drain();
    expect(hooks.received).toHaveLength(1);
    expect(hooks.received[0]?.id).toBe(refused?.id);
    expect(hooks.received[0]?.verified).toBe(true);
    expect((await listDeliveries(t, admin, webhook.id))[0]).toMatchObject({
      status: "delivered",
      attempts: 2,
      lastStatusCode: 204,
    });
  });

  it("keeps retrying for a day, then fails the delivery, disables the endpoint and tells the administrators", async () => {
    const hooks = await receiver();
    const { webhook, secret } = await createWebhook(t, admin, {
      url: hooks.url("billing?token=receiver-own-token"),
      events: ["user.registered"],
      description: "billing sync",
    });
    hooks.useSecret(secret);
    hooks.answerWith(503);
    const started = clock.now();

    await registerUser(t);
    await drain();
    // Just short of a day: still retried, the endpoint still on.
    clock.set(started + 24 * HOUR - 60 * SECOND);
    await drain();
    expect(hooks.received).toHaveLength(2);
    admin = await loginAs(t, admin.email);
    expect((await listDeliveries(t, admin, webhook.id))[0]).toMatchObject({ status: "pending", attempts: 2 });

    clock.advance(2 * HOUR);
    await drain();
    expect(hooks.received).toHaveLength(3);
    admin = await loginAs(t, admin.email);
    const [failed] = await listDeliveries(t, admin, webhook.id);
    expect(failed).toMatchObject({ status: "failed", attempts: 3, lastStatusCode: 503, nextAttemptAt: null });
    const listed = await send(t, "GET", "/v1/admin/webhooks", admin.headers);
    expect(listed.json<{ webhooks: { id: string; enabled: boolean }[] }>().webhooks).toContainEqual(
      expect.objectContaining({ id: webhook.id, enabled: false }),
    );
    const events = await send(t, "GET", "/v1/admin/events?type=webhook.disabled", admin.headers);
    expect(
      events.json<{ events: { details: Record<string, unknown>; actorId: string | null }[] }>().events,
    ).toEqual([
      expect.objectContaining({
        actorId: null,
        details: expect.objectContaining({
          webhookId: webhook.id,
          failingSince: new Date(started).toISOString(),
          endpoint: new URL(hooks.url()).origin,
        }),
      }),
    ]);
    const [mail] = await mailsTo(t, admin.email);
    expect(mail?.subject).toMatch(/webhook was turned off/);
    expect(mail?.text).toContain(webhook.id);
    expect(mail?.text).toContain("billing sync");
    // The URL's path and query (the receiver's own token) stay out of mail.
    expect(mail?.text).not.toContain("receiver-own-token");

    // Disabled: new events queue nothing for it.
    await registerUser(t);
    await drain();
    expect(await listDeliveries(t, admin, webhook.id)).toHaveLength(1);

    // The retry endpoint makes it pending again; it goes out once the webhook is turned on.
    const retried = await send(
      t,
      "POST",
      `/v1/admin/webhooks/${webhook.id}/deliveries/${failed?.id}/retry`,
      admin.headers,
      {},
    );
    expect(retried.statusCode).toBe(202);
    expect((await listDeliveries(t, admin, webhook.id))[0]).toMatchObject({ status: "pending" });
    await drain();
    expect(hooks.received).toHaveLength(3);
    hooks.answerWith(204);
    const enabled = await send(t, "PATCH", `/v1/admin/webhooks/${webhook.id}`, admin.headers, {
      enabled: true,
    });
    expect(enabled.json<{ webhook: { enabled: boolean } }>().webhook.enabled).toBe(true);
    await drain();
    expect(hooks.received.at(-1)?.id).toBe(failed?.id);
    expect((await listDeliveries(t, admin, webhook.id))[0]).toMatchObject({
      status: "delivered",
      attempts: 4,
    });
  });

  it("sends a delivered delivery again when asked, with the same webhook-id", async () => {
    const hooks = await receiver();
    const { webhook, secret } = await createWebhook(t, admin, {
      url: hooks.url(),
      events: ["user.registered"],
    });
    hooks.useSecret(secret);
    await registerUser(t);
    await drain();
    const [delivered] = await listDeliveries(t, admin, webhook.id);

    const retry = (deliveryId: string, webhookId = webhook.id) =>
      send(t, "POST", `/v1/admin/webhooks/${webhookId}/deliveries/${deliveryId}/retry`, admin.headers, {});
    expect((await retry(delivered?.id ?? "")).statusCode).toBe(202);
    await drain();
    expect(hooks.received.map((hook) => hook.id)).toEqual([delivered?.id, delivered?.id]);
    expect(hooks.received[1]?.verified).toBe(true);

    expect((await retry("no-such-delivery")).statusCode).toBe(404);
    expect((await retry(delivered?.id ?? "", "no-such-webhook")).statusCode).toBe(404);
  });
});
