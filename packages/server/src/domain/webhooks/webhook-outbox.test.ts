/**
 * The subscription cache keeps the audit hot path free of webhook queries: within its lifetime an
 * event is matched in memory, whatever its type; a change on this instance is seen at once; a read
 * that an invalidation overtook is not kept. Over a real SQLite repository whose reads are counted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSqlDatabase, type SqlDatabase } from "../../store/sql/database.js";
import { createWebhookRepository } from "../../store/sql/webhook-repository.js";
import { createManualClock } from "../clock.js";
import type { StoredWebhook, WebhookStore } from "./webhook.js";
import { createWebhookSubscriptionCache, webhookPayload } from "./webhook-outbox.js";

const TTL = 5_000;

function webhook(id: string, events: StoredWebhook["events"]): StoredWebhook {
  return {
    id,
    url: "https://hooks.example.com/x",
    events,
    description: null,
    enabled: true,
    createdAt: 0,
    updatedAt: 0,
    failingSince: null,
    secret: { keyId: "w1-0000000000000000", sealed: "v1.x.y.z" },
  };
}

describe("createWebhookSubscriptionCache", () => {
  let database: SqlDatabase;
  let store: WebhookStore;
  let reads = 0;

  beforeAll(async () => {
    database = await openSqlDatabase("sqlite::memory:");
    const repository = createWebhookRepository(database.db);
    store = {
      ...repository,
      listEnabledWebhookSubscriptions() {
        reads += 1;
        return repository.listEnabledWebhookSubscriptions();
      },
    };
  });
  afterAll(() => database.close());

  it("reads once per lifetime, matches types and *, and reads again after an invalidation", async () => {
    const clock = createManualClock();
    const cache = createWebhookSubscriptionCache({ clock, ttlMs: TTL });
    reads = 0;
    expect(await cache.subscribersOf("login.succeeded", store)).toEqual([]);
    for (let event = 0; event < 100; event++) await cache.subscribersOf("login.failed", store);
    expect(reads).toBe(1);

    await store.insertWebhook(webhook("a", ["login.succeeded"]));
    await store.insertWebhook(webhook("b", ["*"]));
    expect(await cache.subscribersOf("login.succeeded", store)).toEqual([]);
    cache.invalidate();
    expect((await cache.subscribersOf("login.succeeded", store)).sort()).toEqual(["a", "b"]);
    expect(await cache.subscribersOf("user.registered", store)).toEqual(["b"]);
    expect(reads).toBe(2);

    await store.updateWebhook("b", { enabled: false }, 1);
    clock.advance(TTL - 1);
    expect(await cache.subscribersOf("user.registered", store)).toEqual(["b"]);
    clock.advance(1);
    expect(await cache.subscribersOf("user.registered", store)).toEqual([]);
    expect(reads).toBe(3);
  });

  it("does not keep a read that an invalidation overtook", async () => {
    const clock = createManualClock();
    const cache = createWebhookSubscriptionCache({ clock, ttlMs: TTL });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow: WebhookStore = {
      ...store,
      async listEnabledWebhookSubscriptions() {
        await gate;
        return [{ id: "stale", events: ["*"] }];
      },
    };
    const pending = cache.subscribersOf("user.registered", slow);
    cache.invalidate();
    release();
    expect(await pending).toEqual(["stale"]);
    reads = 0;
    await cache.subscribersOf("user.registered", store);
    expect(reads).toBe(1);
  });
});

describe("webhookPayload", () => {
  it("carries the type, the time and the event's ids only", () => {
    const body = webhookPayload({
      type: "api_key.created",
      userId: "u1",
      actorId: "u1",
      ip: "203.0.113.7",
      userAgent: "curl/8",
      details: {
        keyId: "k1",
        name: "deploy",
        prefix: "pc_abc",
        scopes: "admin:read",
        anchorHash: "h",
        count: 3,
      },
      at: Date.UTC(2026, 0, 2),
    });
    expect(JSON.parse(body)).toEqual({
      type: "api_key.created",
      timestamp: "2026-01-02T00:00:00.000Z",
      data: { userId: "u1", actorId: "u1", keyId: "k1" },
    });
  });
});
