/**
 * Invariant: only administrators manage webhooks, through exactly the shapes of API.md
 * "Webhooks", and a webhook's signing secret is shown once — in the creation's answer — and never
 * again: not by the list, a change, the database (it is stored sealed) or the logs. Bad input is a
 * `400 validation_failed` problem naming the field; every change is an audit event with the
 * administrator as actor.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  apiKeyHeader,
  createAdmin,
  createApiKey,
  createSignedInUser,
  type SignedIn,
  send,
} from "../support/accounts.js";
import { expectProblem } from "../support/problem-assertions.js";
import { createTestApp, type TestApp } from "../support/test-app.js";
import { startWebhookReceiver } from "../support/webhook-receiver.js";
import { createWebhook, listDeliveries, registerUser } from "../support/webhooks.js";

const WEBHOOK_FIELDS = ["createdAt", "description", "enabled", "events", "id", "url"];
const DELIVERY_FIELDS = [
  "attempts",
  "createdAt",
  "deliveredAt",
  "eventType",
  "id",
  "lastError",
  "lastStatusCode",
  "nextAttemptAt",
  "status",
];
const URL = "http://127.0.0.1:9/hooks/portcullis";

describe("webhooks › admin API", () => {
  let t: TestApp;
  let admin: SignedIn;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await createAdmin(t);
  });
  afterAll(() => t.close());

  const post = (body: unknown) => send(t, "POST", "/v1/admin/webhooks", admin.headers, body);
  const patch = (id: string, body: unknown) =>
    send(t, "PATCH", `/v1/admin/webhooks/${id}`, admin.headers, body);

  it("creates a webhook and shows its secret this once: whsec_ and base64 of 32 random bytes", async () => {
    const response = await post({
      url: URL,
      events: ["user.registered", "login.succeeded"],
      description: "CRM sync",
    });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.headers["cache-control"]).toBe("no-store");
    const { webhook, secret } = response.json<{ webhook: Record<string, unknown>; secret: string }>();
    expect(Object.keys(webhook).sort()).toEqual(WEBHOOK_FIELDS);
    expect(webhook).toMatchObject({
      url: URL,
      events: ["user.registered", "login.succeeded"],
      description: "CRM sync",
      enabled: true,
    });
    expect(new Date(String(webhook.createdAt)).toISOString()).toBe(webhook.createdAt);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
    expect(Buffer.from(secret.slice("whsec_".length), "base64")).toHaveLength(32);
    const other = await createWebhook(t, admin, { url: URL, events: ["*"] });
    expect(other.secret).not.toBe(secret);
    expect(other.webhook.description).toBeNull();

    const listed = await send(t, "GET", "/v1/admin/webhooks", admin.headers);
    expect(listed.statusCode).toBe(200);
    expect(listed.body).not.toContain(secret);
    expect(listed.body).not.toContain(secret.slice("whsec_".length));
    const found = listed
      .json<{ webhooks: Record<string, unknown>[] }>()
      .webhooks.find((w) => w.id === webhook.id);
    expect(Object.keys(found ?? {}).sort()).toEqual(WEBHOOK_FIELDS);

    const changed = await patch(String(webhook.id), { description: "renamed" });
    expect(changed.body).not.toContain(secret.slice("whsec_".length));

    // At rest it is sealed (AES-256-GCM under a key derived from PORTCULLIS_SECRET), not readable.
    const rows = await sql<Record<string, unknown>>`select * from webhooks where id = ${webhook.id}`.execute(
      t.database.db,
    );
    const stored = JSON.stringify(rows.rows);
    expect(stored).toContain('"secret_sealed":"v1.');
    expect(stored).not.toContain(secret.slice("whsec_".length));
  });

  it("changes, disables and deletes a webhook, recording each with the administrator as actor", async () => {
    const { webhook } = await createWebhook(t, admin, { url: URL, events: ["user.registered"] });

    const changed = await patch(webhook.id, {
      url: "http://127.0.0.1:9/hooks/elsewhere",
      events: ["*"],
      description: "everything",
      enabled: false,
    });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json<{ webhook: unknown }>().webhook).toEqual({
      ...webhook,
      url: "http://127.0.0.1:9/hooks/elsewhere",
      events: ["*"],
      description: "everything",
      enabled: false,
    });
    const cleared = await patch(webhook.id, { description: null, enabled: true });
    expect(cleared.json<{ webhook: unknown }>().webhook).toMatchObject({ description: null, enabled: true });

    const deleted = await send(t, "DELETE", `/v1/admin/webhooks/${webhook.id}`, admin.headers);
    expect(deleted.statusCode).toBe(204);
    const listed = await send(t, "GET", "/v1/admin/webhooks", admin.headers);
    expect(listed.json<{ webhooks: { id: string }[] }>().webhooks.map((w) => w.id)).not.toContain(webhook.id);

    const events = await send(t, "GET", "/v1/admin/events?limit=200", admin.headers);
    const mine = events
      .json<{
        events: {
          type: string;
          actorId: string | null;
          userId: string | null;
          details: Record<string, unknown>;
        }[];
      }>()
      .events.filter((event) => event.details.webhookId === webhook.id)
      .reverse();
    expect(mine.map((event) => event.type)).toEqual([
      "webhook.created",
      "webhook.updated",
      "webhook.updated",
      "webhook.deleted",
    ]);
    for (const event of mine) expect(event).toMatchObject({ actorId: admin.user.id, userId: null });
    expect(mine[1]?.details).toMatchObject({
      changed: "description enabled events url",
      endpoint: "http://127.0.0.1:9",
      enabled: false,
    });
    // The path (which may carry the receiver's own token) never goes into the audit log.
    expect(JSON.stringify(mine)).not.toContain("/hooks/");
  });

  it("answers 404 not_found for an unknown webhook, and after deletion", async () => {
    const { webhook } = await createWebhook(t, admin, { url: URL, events: ["*"] });
    await send(t, "DELETE", `/v1/admin/webhooks/${webhook.id}`, admin.headers);
    for (const id of [webhook.id, "no-such-webhook"]) {
      expectProblem(await patch(id, { enabled: false }), 404, "not_found");
      expectProblem(await send(t, "DELETE", `/v1/admin/webhooks/${id}`, admin.headers), 404, "not_found");
      expectProblem(
        await send(t, "GET", `/v1/admin/webhooks/${id}/deliveries`, admin.headers),
        404,
        "not_found",
      );
      expectProblem(
        await send(t, "POST", `/v1/admin/webhooks/${id}/deliveries/x/retry`, admin.headers, {}),
        404,
        "not_found",
      );
    }
  });

  it("lists deliveries newest first, with attempts and lastStatusCode", async () => {
    const hooks = await startWebhookReceiver();
    try {
      const { webhook, secret } = await createWebhook(t, admin, {
        url: hooks.url(),
        events: ["user.registered"],
      });
      hooks.useSecret(secret);
      const first = await registerUser(t);
      const second = await registerUser(t);
      await t.services.webhookWorker.drainOnce();
      const deliveries = await listDeliveries(t, admin, webhook.id);
      expect(deliveries).toHaveLength(2);
      for (const delivery of deliveries) {
        expect(Object.keys(delivery).sort()).toEqual(DELIVERY_FIELDS);
        expect(delivery).toMatchObject({
          eventType: "user.registered",
          status: "delivered",
          attempts: 1,
          lastStatusCode: 204,
        });
      }
      const idsByUser = new Map(hooks.received.map((hook) => [hook.payload.data.userId, hook.id]));
      expect(deliveries.map((delivery) => delivery.id)).toEqual([
        idsByUser.get(second),
        idsByUser.get(first),
      ]);
      const limited = await send(
        t,
        "GET",
        `/v1/admin/webhooks/${webhook.id}/deliveries?limit=1`,
        admin.headers,
      );
      expect(limited.json<{ deliveries: unknown[] }>().deliveries).toHaveLength(1);
    } finally {
      await hooks.close();
    }
  });

  it.each([
    [{ url: URL, events: ["user.registered", "user.teleported"] }, "/events/1"],
    [{ url: URL, events: [] }, "/events"],
    [{ url: "not a url", events: ["*"] }, "/url"],
    [{ url: "ftp://hooks.example.com/x", events: ["*"] }, "/url"],
    [{ url: "https://user:password@hooks.example.com/x", events: ["*"] }, "/url"],
    [{ url: "https://hooks.example.com/x#part", events: ["*"] }, "/url"],
    [{ url: URL }, "/events"],
    [{ url: URL, events: ["*"], enabled: false }, ""],
    [{ url: URL, events: ["*"], secret: "whsec_chosen" }, ""],
    [{ url: URL, events: ["*"], description: "x".repeat(501) }, "/description"],
  ])("refuses %j: 400 validation_failed", async (body, pointer) => {
    const problem = expectProblem(await post(body), 400, "validation_failed");
    if (pointer !== "") expect(problem.errors?.map((error) => error.pointer)).toContain(pointer);
  });

  it("refuses a change to an unknown event type or a URL that is not one, and changes nothing", async () => {
    const { webhook } = await createWebhook(t, admin, { url: URL, events: ["login.failed"] });
    const problem = expectProblem(
      await patch(webhook.id, { events: ["*", "nope"] }),
      400,
      "validation_failed",
    );
    expect(problem.errors).toEqual([expect.objectContaining({ pointer: "/events/1" })]);
    expectProblem(await patch(webhook.id, { url: "javascript:alert(1)" }), 400, "validation_failed");
    const listed = await send(t, "GET", "/v1/admin/webhooks", admin.headers);
    expect(listed.json<{ webhooks: { id: string }[] }>().webhooks).toContainEqual({ ...webhook });
  });

  describe.each([
    { method: "GET", path: "/v1/admin/webhooks", scope: "admin:read", success: 200 },
    { method: "POST", path: "/v1/admin/webhooks", scope: "admin:write", success: 201 },
    { method: "PATCH", path: "/v1/admin/webhooks/:id", scope: "admin:write", success: 200 },
    { method: "DELETE", path: "/v1/admin/webhooks/:id", scope: "admin:write", success: 204 },
    { method: "GET", path: "/v1/admin/webhooks/:id/deliveries", scope: "admin:read", success: 200 },
    {
      method: "POST",
      path: "/v1/admin/webhooks/:id/deliveries/:deliveryId/retry",
      scope: "admin:write",
      success: 202,
    },
  ] as const)("$method $path", ({ method, path, scope, success }) => {
    /** A fresh webhook with one delivery, so that every route has something to act on. */
    async function call(headers: Record<string, string>) {
      const { webhook } = await createWebhook(t, admin, { url: URL, events: ["user.registered"] });
      await registerUser(t);
      const [delivery] = (await t.services.webhooks.listDeliveries(webhook.id, 1)) ?? [];
      const url = path.replace(":id", webhook.id).replace(":deliveryId", delivery?.id ?? "");
      const body =
        method === "POST" && path === "/v1/admin/webhooks"
          ? { url: URL, events: ["*"] }
          : method === "PATCH"
            ? { description: "guarded" }
            : method === "POST"
              ? {}
              : undefined;
      return send(t, method, url, headers, body);
    }

    it("is 401 without credentials, 403 without the role or the scope, and works with them", async () => {
      expectProblem(await call({}), 401, "unauthenticated");
      const user = await createSignedInUser(t);
      expectProblem(await call(user.headers), 403, "insufficient_role");
      const other = scope === "admin:read" ? "admin:write" : "admin:read";
      const wrong = await createApiKey(t, admin, { name: "wrong", scopes: [other] });
      expectProblem(await call(apiKeyHeader(wrong.key)), 403, "insufficient_scope");
      const right = await createApiKey(t, admin, { name: "right", scopes: [scope] });
      expect((await call(apiKeyHeader(right.key))).statusCode).toBe(success);
      expect((await call(admin.headers)).statusCode).toBe(success);
    });
  });

  it("is for administrators only: 401 without credentials, 403 without the role or the scope", async () => {
    expectProblem(await send(t, "GET", "/v1/admin/webhooks"), 401, "unauthenticated");
    const user = await createSignedInUser(t);
    expectProblem(await send(t, "GET", "/v1/admin/webhooks", user.headers), 403, "insufficient_role");
    expectProblem(
      await send(t, "POST", "/v1/admin/webhooks", user.headers, { url: URL, events: ["*"] }),
      403,
      "insufficient_role",
    );
    const { key } = await createApiKey(t, admin, { name: "reader", scopes: ["admin:read"] });
    expect((await send(t, "GET", "/v1/admin/webhooks", apiKeyHeader(key))).statusCode).toBe(200);
    expectProblem(
      await send(t, "POST", "/v1/admin/webhooks", apiKeyHeader(key), { url: URL, events: ["*"] }),
      403,
      "insufficient_scope",
    );
  });
});

describe("webhooks › secrets in logs", () => {
  it("never writes the secret, nor the URL's path or query, to any log line", async () => {
    const lines: string[] = [];
    const t = await createTestApp({
      env: { PORTCULLIS_LOG_LEVEL: "trace" },
      logStream: { write: (line) => lines.push(line) },
    });
    const hooks = await startWebhookReceiver();
    try {
      const admin = await createAdmin(t);
      hooks.answerWith(500);
      const { webhook, secret } = await createWebhook(t, admin, {
        url: hooks.url("x?token=receiver-own-token"),
        events: ["*"],
      });
      await send(t, "GET", "/v1/admin/webhooks", admin.headers);
      await registerUser(t);
      await t.services.webhookWorker.drainOnce();
      // The worker did log the failure (else this test would prove nothing).
      const failures = lines.filter((line) => line.includes("webhook delivery failed"));
      expect(failures.length).toBeGreaterThan(0);
      expect(failures.some((line) => line.includes(webhook.id))).toBe(true);
      for (const line of lines) {
        expect(line).not.toContain(secret.slice("whsec_".length));
        expect(line).not.toContain("receiver-own-token");
      }
    } finally {
      await hooks.close();
      await t.close();
    }
  });
});
