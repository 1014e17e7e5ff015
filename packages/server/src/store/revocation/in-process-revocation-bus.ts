/** The revocation bus of a single instance: events go straight to this process's listeners. */
import type { RevocationBus, RevocationEvent } from "../../domain/sessions/revocation.js";

export function createInProcessRevocationBus(): RevocationBus {
  const listeners = new Set<(event: RevocationEvent) => void>();
  return {
    async publish(event) {
      for (const listener of listeners) listener(event);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    connected: true,
    onConnectionChange: () => () => {},
    async close() {
      listeners.clear();
    },
  };
}
