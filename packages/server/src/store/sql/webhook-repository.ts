/**
 * Webhooks and their delivery outbox in SQL. Workers lease due deliveries with a compare-and-swap
 * on `locked_until` (as the mail outbox does), so several instances drain one outbox and never post
 * the same delivery at once; a worker that dies mid-send lets its lease lapse and another takes over.
 */
import { type Kysely, type Selectable, sql } from "kysely";
import type {
  StoredWebhook,
  Webhook,
  WebhookDelivery,
  WebhookDeliveryStatus,
  WebhookEventFilter,
  WebhookStore,
} from "../../domain/webhooks/webhook.js";
import type { Database, WebhookDeliveriesTable, WebhooksTable } from "./schema.js";

/** Errors are kept to tell the administrator what went wrong, not as an archive of what the receiver said. */
const MAX_ERROR_LENGTH = 300;

function toWebhook(row: Selectable<WebhooksTable>): Webhook {
  return {
    id: row.id,
    url: row.url,
    events: JSON.parse(row.events) as WebhookEventFilter[],
    description: row.description,
    enabled: Number(row.enabled) === 1,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    failingSince: row.failing_since === null ? null : Number(row.failing_since),
  };
}

function toStoredWebhook(row: Selectable<WebhooksTable>): StoredWebhook {
  return { ...toWebhook(row), secret: { keyId: row.secret_key_id, sealed: row.secret_sealed } };
}

function toDelivery(row: Selectable<WebhookDeliveriesTable>): WebhookDelivery {
  const optional = (value: number | null) => (value === null ? null : Number(value));
  return {
    id: row.id,
    webhookId: row.webhook_id,
    eventType: row.event_type,
    payload: row.payload,
    status: row.status as WebhookDeliveryStatus,
    attempts: Number(row.attempts),
    lastStatusCode: optional(row.last_status_code),
    lastError: row.last_error,
    createdAt: Number(row.created_at),
    nextAttemptAt: Number(row.next_attempt_at),
    deliveredAt: optional(row.delivered_at),
    giveUpAt: Number(row.give_up_at),
  };
}

/** `LIKE` treats `%`, `_` and here `\` specially; a role is matched literally. */
const containsPattern = (text: string) => `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;

export function createWebhookRepository(db: Kysely<Database>): WebhookStore {
  return {
    async insertWebhook(webhook) {
      await db
        .insertInto("webhooks")
        .values({
          id: webhook.id,
          url: webhook.url,
          events: JSON.stringify(webhook.events),
          description: webhook.description,
          enabled: webhook.enabled ? 1 : 0,
          secret_sealed: webhook.secret.sealed,
          secret_key_id: webhook.secret.keyId,
          created_at: webhook.createdAt,
          updated_at: webhook.updatedAt,
          failing_since: webhook.failingSince,
        })
        .execute();
    },

    async findWebhookById(id) {
      const row = await db.selectFrom("webhooks").selectAll().where("id", "=", id).executeTakeFirst();
      return row === undefined ? undefined : toWebhook(row);
    },

    async listWebhooks() {
      const rows = await db.selectFrom("webhooks").selectAll().orderBy("created_at").orderBy("id").execute();
      return rows.map(toWebhook);
    },

    async listEnabledWebhookSubscriptions() {
      const rows = await db
        .selectFrom("webhooks")
        .select(["id", "events"])
        .where("enabled", "=", 1)
        .execute();
      return rows.map((row) => ({ id: row.id, events: JSON.parse(row.events) as WebhookEventFilter[] }));
    },

    async updateWebhook(id, changes, at) {
      const result = await db
        .updateTable("webhooks")
        .set({
          updated_at: at,
          ...(changes.url === undefined ? {} : { url: changes.url }),
          ...(changes.events === undefined ? {} : { events: JSON.stringify(changes.events) }),
          ...(changes.description === undefined ? {} : { description: changes.description }),
          ...(changes.enabled === undefined ? {} : { enabled: changes.enabled ? 1 : 0 }),
          // Turned on again: its failures so far no longer count towards turning it off.
          ...(changes.enabled === true ? { failing_since: null } : {}),
        })
        .where("id", "=", id)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async deleteWebhook(id) {
      await db.deleteFrom("webhook_deliveries").where("webhook_id", "=", id).execute();
      const result = await db.deleteFrom("webhooks").where("id", "=", id).executeTakeFirst();
      return result.numDeletedRows === 1n;
    },

    async insertWebhookDeliveries(deliveries) {
      let written = 0;
      for (const delivery of deliveries) {
        // INSERT … SELECT from the webhook row: nothing is written for a webhook that was deleted or
        // disabled since the caller's list was read. Casts give PostgreSQL the parameters' types.
        const result = await db
          .insertInto("webhook_deliveries")
          .columns([
            "id",
            "webhook_id",
            "event_type",
            "payload",
            "status",
            "attempts",
            "created_at",
            "next_attempt_at",
            "give_up_at",
          ])
          .expression(
            db
              .selectFrom("webhooks")
              .select([
                sql<string>`cast(${delivery.id} as text)`.as("id"),
                "webhooks.id as webhook_id",
                sql<string>`cast(${delivery.eventType} as text)`.as("event_type"),
                sql<string>`cast(${delivery.payload} as text)`.as("payload"),
                sql<string>`cast(${"pending"} as text)`.as("status"),
                sql<number>`0`.as("attempts"),
                sql<number>`cast(${delivery.createdAt} as bigint)`.as("created_at"),
                sql<number>`cast(${delivery.createdAt} as bigint)`.as("next_attempt_at"),
                sql<number>`cast(${delivery.giveUpAt} as bigint)`.as("give_up_at"),
              ])
              .where("webhooks.id", "=", delivery.webhookId)
              .where("webhooks.enabled", "=", 1),
          )
          .executeTakeFirst();
        written += Number(result.numInsertedOrUpdatedRows ?? 0n);
      }
      return written;
    },

    async listWebhookDeliveries(webhookId, limit) {
      const rows = await db
        .selectFrom("webhook_deliveries")
        .selectAll()
        .where("webhook_id", "=", webhookId)
        .orderBy("created_at", "desc")
        .orderBy("id", "desc")
        .limit(limit)
        .execute();
      return rows.map(toDelivery);
    },

    async makeWebhookDeliveryDue(webhookId, deliveryId, now) {
      // A delivery in flight keeps its lease: clearing it would let a second worker post it too.
      const result = await db
        .updateTable("webhook_deliveries")
        .set({ status: "pending", next_attempt_at: now, delivered_at: null, finished_at: null })
        .where("id", "=", deliveryId)
        .where("webhook_id", "=", webhookId)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async claimDueWebhookDeliveries(now, leaseUntil, limit) {
      const due = await db
        .selectFrom("webhook_deliveries as d")
        .innerJoin("webhooks as w", "w.id", "d.webhook_id")
        .selectAll("d")
        .select([
          "w.url as w_url",
          "w.events as w_events",
          "w.description as w_description",
          "w.enabled as w_enabled",
          "w.secret_sealed as w_secret_sealed",
          "w.secret_key_id as w_secret_key_id",
          "w.created_at as w_created_at",
          "w.updated_at as w_updated_at",
          "w.failing_since as w_failing_since",
        ])
        .where("d.status", "=", "pending")
        .where("d.next_attempt_at", "<=", now)
        .where((eb) => eb.or([eb("d.locked_until", "is", null), eb("d.locked_until", "<=", now)]))
        .where("w.enabled", "=", 1)
        .orderBy("d.next_attempt_at")
        .orderBy("d.created_at")
        .limit(limit)
        .execute();
      const claimed = [];
      for (const row of due) {
        const result = await db
          .updateTable("webhook_deliveries")
          .set({ locked_until: leaseUntil })
          .where("id", "=", row.id)
          .where("status", "=", "pending")
          .where((eb) => eb.or([eb("locked_until", "is", null), eb("locked_until", "<=", now)]))
          .executeTakeFirst();
        if (result.numUpdatedRows !== 1n) continue;
        claimed.push({
          delivery: toDelivery(row),
          webhook: toStoredWebhook({
            id: row.webhook_id,
            url: row.w_url,
            events: row.w_events,
            description: row.w_description,
            enabled: row.w_enabled,
            secret_sealed: row.w_secret_sealed,
            secret_key_id: row.w_secret_key_id,
            created_at: row.w_created_at,
            updated_at: row.w_updated_at,
            failing_since: row.w_failing_since,
          }),
        });
      }
      return claimed;
    },

    async recordWebhookDelivered(id, attempts, statusCode, at) {
      await db
        .updateTable("webhook_deliveries")
        .set({
          status: "delivered",
          attempts,
          last_status_code: statusCode,
          last_error: null,
          delivered_at: at,
          finished_at: at,
          locked_until: null,
        })
        .where("id", "=", id)
        .execute();
    },

    async recordWebhookAttemptFailed(id, attempt, at) {
      await db
        .updateTable("webhook_deliveries")
        .set({
          attempts: attempt.attempts,
          last_status_code: attempt.statusCode,
          last_error: attempt.error.slice(0, MAX_ERROR_LENGTH),
          locked_until: null,
          ...(attempt.nextAttemptAt === null
            ? { status: "failed", finished_at: at }
            : { next_attempt_at: attempt.nextAttemptAt }),
        })
        .where("id", "=", id)
        .execute();
    },

    async markWebhookHealthy(id) {
      await db
        .updateTable("webhooks")
        .set({ failing_since: null })
        .where("id", "=", id)
        .where("failing_since", "is not", null)
        .execute();
    },

    async markWebhookFailing(id, at) {
      await db
        .updateTable("webhooks")
        .set({ failing_since: at })
        .where("id", "=", id)
        .where("failing_since", "is", null)
        .execute();
      const row = await db
        .selectFrom("webhooks")
        .select("failing_since")
        .where("id", "=", id)
        .executeTakeFirst();
      return row?.failing_since === null || row?.failing_since === undefined ? at : Number(row.failing_since);
    },

    async disableFailingWebhook(id, at) {
      const result = await db
        .updateTable("webhooks")
        .set({ enabled: 0, updated_at: at })
        .where("id", "=", id)
        .where("enabled", "=", 1)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async deleteFinishedWebhookDeliveries(before) {
      const finished = await db
        .deleteFrom("webhook_deliveries")
        .where("finished_at", "<", before)
        .executeTakeFirst();
      const orphaned = await db
        .deleteFrom("webhook_deliveries")
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom("webhooks")
                .select("webhooks.id")
                .whereRef("webhooks.id", "=", "webhook_deliveries.webhook_id"),
            ),
          ),
        )
        .executeTakeFirst();
      return Number(finished.numDeletedRows) + Number(orphaned.numDeletedRows);
    },

    async listWebhookAlertRecipients(role) {
      const rows = await db
        .selectFrom("users")
        .select(["id", "email", "roles"])
        .where("disabled_at", "is", null)
        .where(sql<boolean>`roles like ${containsPattern(JSON.stringify(role))} escape '\\'`)
        .orderBy("created_at")
        .execute();
      // The pattern narrows; the JSON decides.
      return rows
        .filter((row) => (JSON.parse(row.roles) as string[]).includes(role))
        .map((row) => ({ userId: row.id, email: row.email }));
    },
  };
}
