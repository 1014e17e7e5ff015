/**
 * The listener side every networked revocation bus shares: who hears events, who hears about the
 * connection, and the connection state they are told about (only when it changes).
 */
import {
  parseRevocationEvent,
  type RevocationBus,
  type RevocationEvent,
} from "../../domain/sessions/revocation.js";

export interface BusListeners extends Pick<RevocationBus, "subscribe" | "onConnectionChange" | "connected"> {
  /** Hands a received message to every listener; anything not a well-formed event is ignored. */
  receive(message: string): void;
  setConnected(connected: boolean): void;
  clear(): void;
}

export function createBusListeners(): BusListeners {
  const listeners = new Set<(event: RevocationEvent) => void>();
  const connectionListeners = new Set<(connected: boolean) => void>();
  let connected = false;
  return {
    receive(message) {
      const event = parseRevocationEvent(message);
      if (event !== null) for (const listener of listeners) listener(event);
    },
    setConnected(next) {
      if (next === connected) return;
      connected = next;
      for (const listener of connectionListeners) listener(next);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get connected() {
      return connected;
    },
    onConnectionChange(listener) {
      connectionListeners.add(listener);
      return () => connectionListeners.delete(listener);
    },
    clear() {
      listeners.clear();
      connectionListeners.clear();
    },
  };
}
