/**
 * The Redis connection of an instance. Commands fail at once while Redis is away (no offline
 * queue, no retries per request) so that callers fall back — to the insurance limiter, to local
 * one-time state — instead of hanging; the client keeps reconnecting in the background.
 */
import { Redis } from "ioredis";

/** Reconnect attempts back off to at most this. */
const MAX_RECONNECT_DELAY_MS = 1_000;

export interface RedisConnection {
  client: Redis;
  /** The prefix of every key and channel of this deployment. */
  prefix: string;
  /** True while commands can be sent. */
  readonly ready: boolean;
  /** A second connection for subscriptions (a subscribed connection can send nothing else). */
  duplicate(): Redis;
  ping(): Promise<boolean>;
  /** Resolves once connected, or after `timeoutMs` (an instance starts degraded rather than not at all). */
  waitUntilReady(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

export function connectRedis(url: string, prefix: string): RedisConnection {
  const options = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2_000,
    retryStrategy: (attempt: number) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
  };
  const client = new Redis(url, options);
  // Errors surface through the commands that fail; an unhandled "error" event would end the process.
  client.on("error", () => {});
  return {
    client,
    prefix,
    get ready() {
      return client.status === "ready";
    },
    duplicate() {
      const subscriber = client.duplicate({ ...options, enableOfflineQueue: true });
      subscriber.on("error", () => {});
      return subscriber;
    },
    async ping() {
      try {
        return (await client.ping()) === "PONG";
      } catch {
        return false;
      }
    },
    waitUntilReady(timeoutMs) {
      if (client.status === "ready") return Promise.resolve(true);
      return new Promise((resolve) => {
        const done = (ready: boolean) => {
          clearTimeout(timer);
          client.off("ready", onReady);
          resolve(ready);
        };
        const onReady = () => done(true);
        const timer = setTimeout(() => done(false), timeoutMs);
        client.on("ready", onReady);
      });
    },
    async close() {
      client.disconnect();
    },
  };
}
