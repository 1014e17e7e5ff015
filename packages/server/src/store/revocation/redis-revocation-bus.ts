/**
 * The revocation bus over Redis pub/sub, on channel `<prefix>revocations` with one JSON event per
 * message (the wire format `@portcullis/middleware` also listens to). The subscription has its own
 * connection; ioredis reconnects and resubscribes by itself, and `onConnectionChange` tells the
 * revocation sync when to poll SQL and when to catch up.
 */
import type { Redis } from "ioredis";
import {
  parseRevocationEvent,
  type RevocationBus,
  type RevocationEvent,
} from "../../domain/sessions/revocation.js";
import type { RedisConnection } from "../redis/redis-connection.js";
import { createPendingEvents } from "./pending-events.js";

export function createRedisRevocationBus(redis: RedisConnection): RevocationBus {
  const channel = `${redis.prefix}revocations`;
  const listeners = new Set<(event: RevocationEvent) => void>();
  const connectionListeners = new Set<(connected: boolean) => void>();
  const subscriber: Redis = redis.duplicate();
  let connected = false;

  const pending = createPendingEvents(async (event) => {
    await redis.client.publish(channel, JSON.stringify(event));
  });
  function setConnected(next: boolean) {
    if (next === connected) return;
    connected = next;
    for (const listener of connectionListeners) listener(next);
  }

  subscriber.on("message", (from: string, message: string) => {
    if (from !== channel) return;
    const event = parseRevocationEvent(message);
    if (event !== null) for (const listener of listeners) listener(event);
  });
  // "ready" comes after ioredis has resubscribed on a reconnect.
  subscriber.on("ready", () => setConnected(true));
  subscriber.on("close", () => setConnected(false));
  subscriber.subscribe(channel).catch(() => {});
  redis.client.on("ready", () => void pending.flush());

  return {
    async publish(event) {
      pending.add(event);
      if (redis.ready) await pending.flush();
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
    async close() {
      listeners.clear();
      connectionListeners.clear();
      subscriber.disconnect();
    },
  };
}
