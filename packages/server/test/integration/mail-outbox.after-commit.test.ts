/**
 * The mail worker is woken when mail is in the outbox for it to see: a message queued in a
 * transaction is announced (`onMailQueued`) after the commit, when another connection (the
 * worker's) finds it; never for a transaction that rolled back; at once outside a transaction.
 * Woken before the commit, a worker on PostgreSQL found nothing and the mail waited for the next
 * poll, five seconds later.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { OutboxMail } from "../../src/domain/mail/mail-message.js";
import { openSqlDatabase, type SqlDatabase } from "../../src/store/sql/database.js";
import { createSqlPersistence } from "../../src/store/sql/sql-persistence.js";
import { createPostgresSchema, TEST_STORE } from "../support/test-stores.js";

const opened: SqlDatabase[] = [];
let dir: string | undefined;

afterEach(async () => {
  for (const database of opened.splice(0)) await database.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Two connections to one fresh database: the writer's, and one standing for the worker's. */
async function openTwice(): Promise<[SqlDatabase, SqlDatabase]> {
  let url: string;
  if (TEST_STORE === "postgres") url = (await createPostgresSchema()).url;
  else {
    dir = mkdtempSync(join(tmpdir(), "portcullis-mail-commit-"));
    url = `sqlite:${join(dir, "mail.db")}`;
  }
  const writer = await openSqlDatabase(url);
  opened.push(writer);
  const reader = await openSqlDatabase(url, { migrate: false });
  opened.push(reader);
  return [writer, reader];
}

/**
 * How many messages the other connection sees, asked at the moment of the announcement: on SQLite
 * synchronously (its own connection to the file); on PostgreSQL the query is sent then and read later.
 */
function countSeenBy(reader: SqlDatabase): () => Promise<number> {
  if (reader.sqlite !== undefined) {
    const row = reader.sqlite.prepare("select count(*) as n from mail_outbox").get() as { n: number };
    return () => Promise.resolve(Number(row.n));
  }
  const query = reader.db
    .selectFrom("mail_outbox")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .executeTakeFirstOrThrow();
  return async () => Number((await query).n);
}

const mail = (): OutboxMail => ({
  id: randomUUID(),
  kind: "password_changed",
  userId: null,
  to: "ada@example.com",
  subject: "Your password was changed",
  text: "It was you, we hope.",
  html: "<p>It was you, we hope.</p>",
  createdAt: Date.now(),
  attempts: 0,
  nextAttemptAt: Date.now(),
});

describe(`mail outbox › the worker is woken after the commit (${TEST_STORE})`, () => {
  it("announces mail queued in a transaction once it has committed, when another connection sees it", async () => {
    const [writer, reader] = await openTwice();
    const seen: Array<() => Promise<number>> = [];
    const persistence = createSqlPersistence(writer, { onMailQueued: () => seen.push(countSeenBy(reader)) });

    await persistence.transaction(async (stores) => {
      await stores.mailOutbox.enqueueMail(mail());
      await stores.mailOutbox.enqueueMail(mail());
      expect(seen).toHaveLength(0);
    });

    expect(seen).toHaveLength(1);
    expect(await seen[0]?.()).toBe(2);
  });

  it("announces nothing for a transaction that rolled back", async () => {
    const [writer] = await openTwice();
    let announced = 0;
    const persistence = createSqlPersistence(writer, { onMailQueued: () => announced++ });

    const failed = persistence.transaction(async (stores) => {
      await stores.mailOutbox.enqueueMail(mail());
      throw new Error("the act failed after queueing its mail");
    });

    await expect(failed).rejects.toThrow("the act failed");
    expect(announced).toBe(0);
    expect(await persistence.mailOutbox.claimDueMail(Date.now(), Date.now() + 60_000, 10)).toEqual([]);
  });

  it("announces mail queued outside a transaction at once", async () => {
    const [writer, reader] = await openTwice();
    const seen: Array<() => Promise<number>> = [];
    const persistence = createSqlPersistence(writer, { onMailQueued: () => seen.push(countSeenBy(reader)) });

    await persistence.mailOutbox.enqueueMail(mail());

    expect(seen).toHaveLength(1);
    expect(await seen[0]?.()).toBe(1);
  });
});
