/** Revocations a bus could not send yet, kept (bounded) and sent in order once it reconnects. */
import type { RevocationEvent } from "../../domain/sessions/revocation.js";

/** Beyond this many the oldest are dropped; SQL still has them, and the others' reconciliation finds them. */
const MAX_PENDING = 10_000;

export function createPendingEvents(send: (event: RevocationEvent) => Promise<void>) {
  const pending: RevocationEvent[] = [];
  let flushing = false;
  return {
    add(event: RevocationEvent) {
      pending.push(event);
      if (pending.length > MAX_PENDING) pending.shift();
    },
    get size() {
      return pending.length;
    },
    /** Sends what waits, oldest first; stops at the first failure and keeps the rest. */
    async flush() {
      if (flushing) return;
      flushing = true;
      try {
        while (pending.length > 0) {
          await send(pending[0] as RevocationEvent);
          pending.shift();
        }
      } catch {
        // Still unreachable: the next reconnect tries again.
      } finally {
        flushing = false;
      }
    },
  };
}
