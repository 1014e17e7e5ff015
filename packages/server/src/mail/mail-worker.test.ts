import { describe, expect, it } from "vitest";
import { createManualClock } from "../domain/clock.js";
import type { OutboxMail } from "../domain/mail/mail-message.js";
import type { MailOutboxStore } from "../domain/persistence.js";
import type { MailLog, MailSender } from "./mail-delivery.js";
import { createMailWorker, MAX_DELIVERY_ATTEMPTS, retryDelayMs } from "./mail-worker.js";

/** An in-memory outbox with the store's contract: leases, retries, failures. */
function createMemoryOutbox() {
  const rows = new Map<
    string,
    OutboxMail & { lockedUntil: number | null; failedAt: number | null; error: string | null }
  >();
  const store: MailOutboxStore = {
    async enqueueMail(mail) {
      rows.set(mail.id, { ...mail, lockedUntil: null, failedAt: null, error: null });
    },
    async claimDueMail(now, leaseUntil, limit) {
      const due = [...rows.values()]
        .filter((row) => row.failedAt === null && row.nextAttemptAt <= now)
        .filter((row) => row.lockedUntil === null || row.lockedUntil <= now)
        .slice(0, limit);
      for (const row of due) row.lockedUntil = leaseUntil;
      return due.map(({ lockedUntil: _l, failedAt: _f, error: _e, ...mail }) => ({ ...mail }));
    },
    async deleteDeliveredMail(id) {
      rows.delete(id);
    },
    async scheduleMailRetry(id, attempts, nextAttemptAt, error) {
      const row = rows.get(id);
      if (row !== undefined) Object.assign(row, { attempts, nextAttemptAt, error, lockedUntil: null });
    },
    async markMailFailed(id, attempts, at, error) {
      const row = rows.get(id);
      if (row !== undefined)
        Object.assign(row, { attempts, failedAt: at, error, text: "", html: "", lockedUntil: null });
    },
  };
  return { store, rows };
}

function mail(id: string, at: number): OutboxMail {
  return {
    id,
    kind: "password_changed",
    userId: "u1",
    to: "ada@example.com",
    subject: "s",
    text: "t",
    html: "h",
    createdAt: at,
    attempts: 0,
    nextAttemptAt: at,
  };
}

const silentLog: MailLog = { info: () => {}, warn: () => {}, error: () => {} };

function setUp(options: { failing?: () => boolean } = {}) {
  const clock = createManualClock();
  const outbox = createMemoryOutbox();
  const sent: string[] = [];
  let closed = 0;
  const sender: MailSender = {
    async send(message) {
      if (options.failing?.()) throw new Error("connect ECONNREFUSED 127.0.0.1:25");
      sent.push(message.id);
    },
    close: () => {
      closed++;
    },
  };
  let produced = 0;
  const worker = createMailWorker({
    outbox: outbox.store,
    sender,
    clock,
    log: silentLog,
    produce: async () => {
      produced++;
    },
    pollIntervalMs: 60_000,
  });
  return { clock, outbox, sent, worker, produced: () => produced, closed: () => closed };
}

describe("retryDelayMs", () => {
  it("doubles from 10 seconds and stops growing at an hour", () => {
    expect([1, 2, 3, 4, 5].map(retryDelayMs)).toEqual([10_000, 20_000, 40_000, 80_000, 160_000]);
    expect(retryDelayMs(9)).toBe(2_560_000);
    expect(retryDelayMs(10)).toBe(3_600_000);
    expect(retryDelayMs(30)).toBe(3_600_000);
  });

  it("retries for about half a day before the last attempt", () => {
    let total = 0;
    for (let attempts = 1; attempts < MAX_DELIVERY_ATTEMPTS; attempts++) total += retryDelayMs(attempts);
    expect(total / 3_600_000).toBeGreaterThan(10);
    expect(total / 3_600_000).toBeLessThan(24);
  });
});

describe("createMailWorker › drainOnce", () => {
  it("runs the producers, then delivers what is due and removes it from the outbox", async () => {
    const { clock, outbox, sent, worker, produced } = setUp();
    await outbox.store.enqueueMail(mail("a", clock.now()));
    await outbox.store.enqueueMail(mail("b", clock.now()));

    expect(await worker.drainOnce()).toEqual({ delivered: 2, retried: 0, failed: 0 });
    expect(sent).toEqual(["a", "b"]);
    expect(outbox.rows.size).toBe(0);
    expect(produced()).toBe(1);
  });

  it("leaves mail that is not due yet", async () => {
    const { clock, outbox, sent, worker } = setUp();
    await outbox.store.enqueueMail({ ...mail("later", clock.now()), nextAttemptAt: clock.now() + 1 });
    expect(await worker.drainOnce()).toEqual({ delivered: 0, retried: 0, failed: 0 });
    expect(sent).toEqual([]);
  });

  it("keeps a message that failed, due again after the backoff, then delivers it", async () => {
    let down = true;
    const { clock, outbox, sent, worker } = setUp({ failing: () => down });
    await outbox.store.enqueueMail(mail("a", clock.now()));

    expect(await worker.drainOnce()).toEqual({ delivered: 0, retried: 1, failed: 0 });
    expect(outbox.rows.get("a")).toMatchObject({ attempts: 1, nextAttemptAt: clock.now() + 10_000 });
    expect(outbox.rows.get("a")?.error).toContain("ECONNREFUSED");

    down = false;
    clock.advance(9_999);
    expect((await worker.drainOnce()).delivered).toBe(0);
    clock.advance(1);
    expect((await worker.drainOnce()).delivered).toBe(1);
    expect(sent).toEqual(["a"]);
  });

  it("gives up after the last attempt and wipes the bodies", async () => {
    const { clock, outbox, worker } = setUp({ failing: () => true });
    await outbox.store.enqueueMail(mail("a", clock.now()));
    for (let attempt = 1; attempt < MAX_DELIVERY_ATTEMPTS; attempt++) {
      expect((await worker.drainOnce()).retried).toBe(1);
      clock.set(outbox.rows.get("a")?.nextAttemptAt ?? 0);
    }
    expect(await worker.drainOnce()).toEqual({ delivered: 0, retried: 0, failed: 1 });
    expect(outbox.rows.get("a")).toMatchObject({ attempts: MAX_DELIVERY_ATTEMPTS, text: "", html: "" });
    expect(outbox.rows.get("a")?.failedAt).toBe(clock.now());
    expect((await worker.drainOnce()).failed).toBe(0);
  });

  it("never runs two passes at once: a second drain waits for the first", async () => {
    const { clock, outbox, worker } = setUp();
    await outbox.store.enqueueMail(mail("a", clock.now()));
    const [first, second] = await Promise.all([worker.drainOnce(), worker.drainOnce()]);
    expect(first.delivered + second.delivered).toBe(1);
  });

  it("goes on delivering when a producer fails", async () => {
    const clock = createManualClock();
    const outbox = createMemoryOutbox();
    const warnings: string[] = [];
    const worker = createMailWorker({
      outbox: outbox.store,
      sender: { send: async () => {}, close: () => {} },
      clock,
      log: { ...silentLog, warn: (_object, message) => warnings.push(message) },
      produce: async () => {
        throw new Error("database is locked");
      },
      pollIntervalMs: 60_000,
    });
    await outbox.store.enqueueMail(mail("a", clock.now()));
    expect((await worker.drainOnce()).delivered).toBe(1);
    expect(warnings).toHaveLength(1);
  });
});

describe("createMailWorker › lifecycle", () => {
  it("delivers on wake once started, not before", async () => {
    const clock = createManualClock();
    const outbox = createMemoryOutbox();
    let announce: (id: string) => void = () => {};
    const delivered = new Promise<string>((resolve) => {
      announce = resolve;
    });
    const sent: string[] = [];
    const worker = createMailWorker({
      outbox: outbox.store,
      sender: {
        async send(message) {
          sent.push(message.id);
          announce(message.id);
        },
        close: () => {},
      },
      clock,
      log: silentLog,
      produce: async () => {},
      pollIntervalMs: 60_000,
    });
    await outbox.store.enqueueMail(mail("a", clock.now()));

    worker.wake();
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual([]);

    worker.start();
    expect(await delivered).toBe("a");
    await worker.stop();
  });

  it("stops once, waiting for the pass in progress and closing the sender", async () => {
    const { worker, closed } = setUp();
    worker.start();
    await Promise.all([worker.stop(), worker.stop()]);
    expect(closed()).toBe(1);
    expect(await worker.drainOnce()).toEqual({ delivered: 0, retried: 0, failed: 0 });
  });
});
