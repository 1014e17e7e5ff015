/**
 * The durable mail outbox in SQL. Workers lease due messages with a compare-and-swap on
 * `locked_until`, so two workers (two instances, or the server and a CLI) never send the same
 * message at once; a worker that dies mid-send lets its lease lapse and another takes over.
 */
import type { Kysely, Selectable } from "kysely";
import type { MailKind, OutboxMail } from "../../domain/mail/mail-message.js";
import type { MailOutboxStore } from "../../domain/persistence.js";
import type { Database, MailOutboxTable } from "./schema.js";

/** Errors are kept for the operator, not as an archive of what the mail server said. */
const MAX_ERROR_LENGTH = 1000;

function toOutboxMail(row: Selectable<MailOutboxTable>): OutboxMail {
  return {
    id: row.id,
    kind: row.kind as MailKind,
    userId: row.user_id,
    to: row.recipient,
    subject: row.subject,
    text: row.text_body,
    html: row.html_body,
    createdAt: Number(row.created_at),
    attempts: Number(row.attempts),
    nextAttemptAt: Number(row.next_attempt_at),
  };
}

/** `queued` hears of each message added (sql-persistence.ts holds it back until the commit). */
export function createMailOutboxRepository(db: Kysely<Database>, queued: () => void): MailOutboxStore {
  return {
    async enqueueMail(mail) {
      await db
        .insertInto("mail_outbox")
        .values({
          id: mail.id,
          kind: mail.kind,
          user_id: mail.userId,
          recipient: mail.to,
          subject: mail.subject,
          text_body: mail.text,
          html_body: mail.html,
          created_at: mail.createdAt,
          attempts: mail.attempts,
          next_attempt_at: mail.nextAttemptAt,
          locked_until: null,
          last_error: null,
          failed_at: null,
        })
        .execute();
      queued();
    },
    async claimDueMail(now, leaseUntil, limit) {
      const due = await db
        .selectFrom("mail_outbox")
        .selectAll()
        .where("failed_at", "is", null)
        .where("next_attempt_at", "<=", now)
        .where((eb) => eb.or([eb("locked_until", "is", null), eb("locked_until", "<=", now)]))
        .orderBy("next_attempt_at")
        .orderBy("created_at")
        .limit(limit)
        .execute();
      const claimed: OutboxMail[] = [];
      for (const row of due) {
        const result = await db
          .updateTable("mail_outbox")
          .set({ locked_until: leaseUntil })
          .where("id", "=", row.id)
          .where((eb) => eb.or([eb("locked_until", "is", null), eb("locked_until", "<=", now)]))
          .executeTakeFirst();
        if (result.numUpdatedRows === 1n) claimed.push(toOutboxMail(row));
      }
      return claimed;
    },
    async deleteDeliveredMail(id) {
      await db.deleteFrom("mail_outbox").where("id", "=", id).execute();
    },
    async scheduleMailRetry(id, attempts, nextAttemptAt, error) {
      await db
        .updateTable("mail_outbox")
        .set({
          attempts,
          next_attempt_at: nextAttemptAt,
          locked_until: null,
          last_error: error.slice(0, MAX_ERROR_LENGTH),
        })
        .where("id", "=", id)
        .execute();
    },
    async markMailFailed(id, attempts, at, error) {
      await db
        .updateTable("mail_outbox")
        .set({
          attempts,
          failed_at: at,
          locked_until: null,
          last_error: error.slice(0, MAX_ERROR_LENGTH),
          // The bodies may carry a link with a token: a message nobody will send keeps none.
          text_body: "",
          html_body: "",
        })
        .where("id", "=", id)
        .execute();
    },
  };
}
