/**
 * The revocation bus over PostgreSQL LISTEN/NOTIFY, for deployments of many instances without
 * Redis. Listening takes one dedicated connection, reopened with backoff when it drops;
 * notifications go out through the pool. PostgreSQL delivers a notification only to sessions
 * listening when it commits, so after a reconnect the revocation sync catches up from SQL.
 */
import pg from "pg";
import type { RevocationBus } from "../../domain/sessions/revocation.js";
import { createBusListeners } from "./bus-listeners.js";
import { createPendingEvents } from "./pending-events.js";

const MAX_RECONNECT_DELAY_MS = 1_000;

export function createPostgresRevocationBus(options: {
  url: string;
  /** Notifications go out through the pool, not the listening connection. */
  notify(channel: string, payload: string): Promise<void>;
  prefix: string;
}): RevocationBus {
  const channel = `${options.prefix}revocations`;
  const listeners = createBusListeners();
  let closed = false;
  let client: pg.Client | null = null;
  let attempt = 0;
  let retryTimer: NodeJS.Timeout | null = null;

  const pending = createPendingEvents((event) => options.notify(channel, JSON.stringify(event)));

  function scheduleReconnect() {
    if (closed || retryTimer !== null) return;
    retryTimer = setTimeout(
      () => {
        retryTimer = null;
        void listen();
      },
      Math.min(++attempt * 100, MAX_RECONNECT_DELAY_MS),
    );
    retryTimer.unref();
  }

  async function listen() {
    const next = new pg.Client({ connectionString: options.url, application_name: "portcullis-revocations" });
    client = next;
    const lost = () => {
      if (client !== next) return;
      client = null;
      listeners.setConnected(false);
      next.end().catch(() => {});
      scheduleReconnect();
    };
    next.on("error", lost);
    next.on("end", lost);
    next.on("notification", (message) => {
      if (message.channel === channel && message.payload !== undefined) listeners.receive(message.payload);
    });
    try {
      await next.connect();
      await next.query(`listen ${pg.escapeIdentifier(channel)}`);
      if (closed) return void next.end();
      attempt = 0;
      listeners.setConnected(true);
      await pending.flush();
    } catch {
      lost();
    }
  }
  void listen();

  return {
    async publish(event) {
      pending.add(event);
      await pending.flush();
    },
    subscribe: listeners.subscribe,
    get connected() {
      return listeners.connected;
    },
    onConnectionChange: listeners.onConnectionChange,
    async close() {
      closed = true;
      if (retryTimer !== null) clearTimeout(retryTimer);
      listeners.clear();
      const current = client;
      client = null;
      await current?.end().catch(() => {});
    },
  };
}
