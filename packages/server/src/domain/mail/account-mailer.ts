/**
 * Queues mail to an account inside the caller's transaction: renders the intent and writes it to
 * the outbox with the act's other rows. The persistence tells the delivery worker once the
 * transaction has committed (`SqlPersistenceHooks.onMailQueued`), so the worker never looks
 * before the row is there to be seen.
 */
import { randomUUID } from "node:crypto";
import type { Clock } from "../clock.js";
import type { Stores } from "../persistence.js";
import type { MailComposer, MailIntent } from "./mail-message.js";

export interface AccountMailerDeps {
  composer: MailComposer;
  clock: Clock;
}

export interface AccountMailer {
  /** Renders `intent` and adds it to the outbox of the transaction `stores` belongs to. */
  queueIn(stores: Stores, userId: string | null, intent: MailIntent): Promise<void>;
}

/**
 * @example
 * const mailer = createAccountMailer({ composer, clock });
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
    },
  };
}
