/**
 * The revocation bus over Redis pub/sub, on channel `<prefix>revocations` with one JSON event per
 * message (the wire format `@portcullis/middleware` also listens to). The subscription has its own
 * connection; ioredis reconnects and resubscribes by itself, and `onConnectionChange` tells the
 * revocation sync when to poll SQL and when to catch up.
 */
import type { Redis } from "ioredis";
import type { RevocationBus } from "../../domain/sessions/revocation.js";
import type { RedisConnection } from "../redis/redis-connection.js";
import { createBusListeners } from "./bus-listeners.js";
import { createPendingEvents } from "./pending-events.js";

export function createRedisRevocationBus(redis: RedisConnection): RevocationBus {
  const channel = `${redis.prefix}revocations`;
  const listeners = createBusListeners();
  const subscriber: Redis = redis.duplicate();

  const pending = createPendingEvents(async (event) => {
    await redis.client.publish(channel, JSON.stringify(event));
  });

  subscriber.on("message", (from: string, message: string) => {
    if (from === channel) listeners.receive(message);
  });
  // "ready" comes after ioredis has resubscribed on a reconnect.
  subscriber.on("ready", () => listeners.setConnected(true));
  subscriber.on("close", () => listeners.setConnected(false));
  subscriber.subscribe(channel).catch(() => {});
  redis.client.on("ready", () => void pending.flush());

  return {
    async publish(event) {
      pending.add(event);
      if (redis.ready) await pending.flush();
    },
    subscribe: listeners.subscribe,
    get connected() {
      return listeners.connected;
    },
    onConnectionChange: listeners.onConnectionChange,
    async close() {
      listeners.clear();
      subscriber.disconnect();
    },
  };
}
