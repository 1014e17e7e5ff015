/**
 * Graceful shutdown of the HTTP listener: stop taking connections, let the requests in flight
 * finish, close keep-alive connections without cutting a request that was accepted, and cut what
 * is still running at the deadline.
 *
 * Fastify's own close is not enough on its own: `http.Server#close` closes the connections idle
 * at that instant and none after, so a keep-alive connection whose request was in flight turns
 * idle afterwards and holds the process open for Fastify's keep-alive timeout (72 s). And
 * closing an idle connection at the instant its client reuses it resets a request the client
 * has just sent (RFC 9112 §9.5), which a client cannot safely retry when it is a login.
 * Fastify's options do not cover either: `forceCloseConnections: "idle"` (the default) acts only
 * with a `serverFactory` and otherwise leaves it to `http.Server#close`, `true` cuts the requests
 * in flight, and `return503OnClosing` (kept: it answers what reaches `app.close()`) refuses the
 * requests that arrive but does nothing for the connections. So, once draining:
 * - the listener stops accepting (new connections are refused), but no open connection is closed;
 * - every response, of the requests in flight and of any that arrive on a connection already
 *   open, carries `Connection: close`, and Node closes each connection after that response;
 * - connections still idle after a short grace (a pooled one its client has not used since) are
 *   closed, and from then on any that turn idle;
 * - at the deadline the remaining connections are cut.
 */
import type { Server } from "node:http";
import { Server as NetServer } from "node:net";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";

/**
 * How long a connection idle when the drain begins may stay open: a keep-alive client sending on
 * it in this time is answered (with `Connection: close`) rather than reset.
 */
const IDLE_CONNECTION_GRACE_MS = 1_000;
/** After the grace, idle connections (a hijacked response that did not say `close`) are closed this often. */
const IDLE_SWEEP_INTERVAL_MS = 250;
/** Cut connections are gone within a tick; this only bounds the wait should one linger. */
const CUT_SETTLE_MS = 1_000;

export interface DrainOptions {
  /** When the requests still running are cut. */
  timeoutMs: number;
  idleGraceMs?: number;
}

export interface DrainOutcome {
  /** Connections still busy at the deadline, and cut; 0 when everything finished in time. */
  cutConnections: number;
}

export interface ConnectionDrain {
  /** True from the moment the drain begins: /readyz answers 503. */
  readonly draining: boolean;
  /** Adds `Connection: close` to every response once draining (register on the root instance). */
  readonly plugin: (app: FastifyInstance) => Promise<void>;
  /**
   * Drains `server`; resolves once every connection is closed. Calling it again returns the
   * same drain.
   * @example
   * const { cutConnections } = await drain.drain(app.server, { timeoutMs: 10_000 });
   * await app.close();
   */
  drain(server: Server, options: DrainOptions): Promise<DrainOutcome>;
}

export function createConnectionDrain(): ConnectionDrain {
  let draining = false;
  let running: Promise<DrainOutcome> | undefined;
  return {
    get draining() {
      return draining;
    },
    plugin: fp(
      async (app: FastifyInstance) => {
        // A callback hook, not an async one: it runs on every response.
        app.addHook("onSend", (_request, reply, payload, done) => {
          if (draining) reply.header("connection", "close");
          done(null, payload);
        });
      },
      { name: "portcullis-connection-drain" },
    ),
    drain(server, options) {
      draining = true;
      running ??= drainServer(server, options);
      return running;
    },
  };
}

/** Drains one listener (the steps above); for a server without the plugin, such as the metrics listener. */
export async function drainServer(server: Server, options: DrainOptions): Promise<DrainOutcome> {
  // Requests that arrive on an open connection, hijacked ones included, are answered and the
  // connection closed after them. First in line, before the app has written anything.
  server.prependListener("request", (_request, response) => {
    if (!response.headersSent) response.setHeader("connection", "close");
  });
  // net.Server#close, not http.Server#close: stop accepting without closing the connections idle
  // at this instant, which a keep-alive client may be sending on right now. The callback runs
  // once the last connection has closed.
  const allClosed = new Promise<void>((resolve) => {
    NetServer.prototype.close.call(server, () => resolve());
  });

  let sweeper: NodeJS.Timeout | undefined;
  const grace = setTimeout(
    () => {
      server.closeIdleConnections();
      sweeper = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_INTERVAL_MS);
    },
    Math.min(options.idleGraceMs ?? IDLE_CONNECTION_GRACE_MS, options.timeoutMs),
  );
  let deadline: NodeJS.Timeout | undefined;
  const timedOut = new Promise<true>((resolve) => {
    deadline = setTimeout(() => resolve(true), options.timeoutMs);
  });
  try {
    if ((await Promise.race([allClosed, timedOut])) !== true) return { cutConnections: 0 };
  } finally {
    clearTimeout(grace);
    clearTimeout(deadline);
    clearInterval(sweeper);
  }
  const cutConnections = await new Promise<number>((resolve) =>
    server.getConnections((error, count) => resolve(error ? 0 : count)),
  );
  server.closeAllConnections();
  let settle: NodeJS.Timeout | undefined;
  await Promise.race([allClosed, new Promise((resolve) => (settle = setTimeout(resolve, CUT_SETTLE_MS)))]);
  clearTimeout(settle);
  return { cutConnections };
}
