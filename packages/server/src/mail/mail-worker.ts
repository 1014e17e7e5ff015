/**
 * The durable outbox's delivery worker. Requests never wait for mail: they write the message to
 * the `mail_outbox` table in their own transaction and wake this worker, which (on a timer as
 * well, so nothing waits for a wake that was missed) first runs the producers (forgot-password
 * requests become tokens and mail), then leases due messages and hands each to the sender.
 *
 * A failed delivery is retried with exponential backoff (10 s, 20 s, 40 s, … at most an hour
 * apart) for about twelve hours (`MAX_DELIVERY_ATTEMPTS`); a mail server that is down delays
 * mail and loses none. Only then is a message marked failed, its bodies wiped, and an error
 * logged. Delivery is at-least-once: if the process dies between the SMTP server's "250 OK" and
 * the row's deletion, the message is sent again after its lease lapses.
 *
 * Passes never overlap; `drainOnce()` runs one after any in progress and resolves with what it
 * did, so tests can step the worker without sleeping.
 */
import type { Clock } from "../domain/clock.js";
import type { OutboxMail } from "../domain/mail/mail-message.js";
import type { MailOutboxStore } from "../domain/persistence.js";
import type { MailLog, MailSender } from "./mail-delivery.js";

export const MAX_DELIVERY_ATTEMPTS = 20;
const FIRST_RETRY_DELAY_MS = 10_000;
const MAX_RETRY_DELAY_MS = 3_600_000;
/** Longer than the SMTP timeouts, so a lease never lapses while its worker is still sending. */
const LEASE_MS = 5 * 60_000;
const BATCH_SIZE = 20;
/** Batches per pass: a backlog is worked off over several passes rather than in one long one. */
const MAX_BATCHES_PER_PASS = 10;

/** Delay before attempt `attempts + 1`, after `attempts` failures: 10 s doubling up to an hour. */
export function retryDelayMs(attempts: number): number {
  return Math.min(FIRST_RETRY_DELAY_MS * 2 ** Math.max(0, attempts - 1), MAX_RETRY_DELAY_MS);
}

export interface DrainReport {
  delivered: number;
  retried: number;
  failed: number;
}

export interface MailWorkerOptions {
  outbox: MailOutboxStore;
  sender: MailSender;
  clock: Clock;
  log: MailLog;
  /** Work that queues mail, run before each delivery pass (forgot-password requests). */
  produce: () => Promise<unknown>;
  /** How often the timer looks for due mail; wakes come sooner. */
  pollIntervalMs: number;
}

export interface MailWorker {
  /** Starts the timer and runs a first pass (mail left by an earlier run goes out at once). */
  start(): void;
  /** New mail was queued: run a pass soon. Does nothing before `start` or after `stop`. */
  wake(): void;
  /** Runs one pass after any in progress; for tests and tools. */
  drainOnce(): Promise<DrainReport>;
  /** Stops the timer and waits for the pass in progress. */
  stop(): Promise<void>;
}

const describeError = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * @example
 * const worker = createMailWorker({ outbox: persistence.mailOutbox, sender, clock, log, produce, pollIntervalMs: 5000 });
 * worker.start(); … await worker.stop();
 */
export function createMailWorker(options: MailWorkerOptions): MailWorker {
  const { outbox, sender, clock, log } = options;
  let current: Promise<DrainReport> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  let stopped = false;
  let wakeQueued = false;
  let stopping: Promise<void> | undefined;

  async function deliver(mail: OutboxMail, report: DrainReport): Promise<void> {
    const context = { mailId: mail.id, kind: mail.kind, to: mail.to };
    try {
      await sender.send(mail);
    } catch (error) {
      const attempts = mail.attempts + 1;
      const message = describeError(error);
      if (attempts >= MAX_DELIVERY_ATTEMPTS) {
        await outbox.markMailFailed(mail.id, attempts, clock.now(), message);
        log.error({ ...context, attempts, err: error }, "mail could not be delivered; giving up");
        report.failed++;
      } else {
        const delay = retryDelayMs(attempts);
        await outbox.scheduleMailRetry(mail.id, attempts, clock.now() + delay, message);
        log.warn({ ...context, attempts, retryInMs: delay, err: error }, "mail delivery failed; will retry");
        report.retried++;
      }
      return;
    }
    await outbox.deleteDeliveredMail(mail.id);
    report.delivered++;
  }

  async function pass(): Promise<DrainReport> {
    const report: DrainReport = { delivered: 0, retried: 0, failed: 0 };
    try {
      await options.produce();
    } catch (error) {
      log.warn({ err: error }, "queueing mail failed; will try again");
    }
    for (let batch = 0; batch < MAX_BATCHES_PER_PASS; batch++) {
      const now = clock.now();
      const due = await outbox.claimDueMail(now, now + LEASE_MS, BATCH_SIZE);
      for (const mail of due) await deliver(mail, report);
      if (due.length < BATCH_SIZE) break;
    }
    return report;
  }

  function enqueuePass(onStart?: () => void): Promise<DrainReport> {
    const run = () => {
      onStart?.();
      // A pass queued before `stop` must not touch a database that is closing.
      return stopped ? Promise.resolve({ delivered: 0, retried: 0, failed: 0 }) : pass();
    };
    const next = (current ?? Promise.resolve()).then(run, run);
    current = next;
    next.then(
      () => {
        if (current === next) current = undefined;
      },
      () => {
        if (current === next) current = undefined;
      },
    );
    return next;
  }

  function runInBackground(onStart?: () => void): void {
    enqueuePass(onStart).catch((error: unknown) => log.warn({ err: error }, "mail worker pass failed"));
  }

  /** The next tick is armed when this one's pass is over, so a hanging mail server cannot pile passes up. */
  function scheduleTick(): void {
    timer = setTimeout(() => {
      timer = undefined;
      enqueuePass()
        .then(
          () => undefined,
          (error: unknown) => log.warn({ err: error }, "mail worker pass failed"),
        )
        .then(() => {
          if (!stopped) scheduleTick();
        });
    }, options.pollIntervalMs);
    timer.unref();
  }

  function wake(): void {
    // One pass waiting to start is enough however many messages were queued meanwhile.
    if (!started || stopped || wakeQueued) return;
    wakeQueued = true;
    // On the next turn of the event loop, not now: the request that queued the mail has answered
    // (and its transaction committed) before the worker's work, whose cost depends on whether an
    // account exists, takes the thread.
    setImmediate(() =>
      runInBackground(() => {
        wakeQueued = false;
      }),
    ).unref();
  }

  return {
    start() {
      if (started || stopped) return;
      started = true;
      wake();
      scheduleTick();
    },
    wake,
    drainOnce: () => enqueuePass(),
    stop() {
      stopping ??= (async () => {
        stopped = true;
        if (timer !== undefined) clearTimeout(timer);
        await current?.catch(() => {});
        sender.close();
      })();
      return stopping;
    },
  };
}
