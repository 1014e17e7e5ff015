/**
 * Queues mail to an account inside the caller's transaction: renders the intent and writes it to
 * the outbox with the act's other rows, then tells the delivery worker there is work. The worker
 * only looks once the connection is free, so on SQLite (one connection) it sees the committed
 * row; where it could look too early, its regular poll picks the message up (nothing is lost,
 * it is only later).
 */
import { randomUUID } from "node:crypto";
import type { Clock } from "../clock.js";
import type { Stores } from "../persistence.js";
import type { MailComposer, MailIntent } from "./mail-message.js";

export interface AccountMailerDeps {
  composer: MailComposer;
  clock: Clock;
  /** Called after each message is queued; wired to the delivery worker's `wake`. */
  onQueued: () => void;
}

export interface AccountMailer {
  /** Renders `intent` and adds it to the outbox of the transaction `stores` belongs to. */
  queueIn(stores: Stores, userId: string | null, intent: MailIntent): Promise<void>;
}

/**
 * @example
 * const mailer = createAccountMailer({ composer, clock, onQueued: () => worker.wake() });
 * await persistence.transaction((stores) => mailer.queueIn(stores, user.id, { kind: "password_changed", … }));
 */
export function createAccountMailer(deps: AccountMailerDeps): AccountMailer {
  return {
    async queueIn(stores, userId, intent) {
      const now = deps.clock.now();
      await stores.mailOutbox.enqueueMail({
        id: randomUUID(),
        kind: intent.kind,
        userId,
        ...deps.composer.compose(intent),
        createdAt: now,
        attempts: 0,
        nextAttemptAt: now,
      });
      deps.onQueued();
    },
  };
}
