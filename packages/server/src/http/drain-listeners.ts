/**
 * The first half of a graceful shutdown for the app and its metrics listener together
 * (connection-drain.ts): both stop listening and finish what they are answering; connections
 * still busy at the deadline are cut, and the count is logged.
 */
import type { FastifyInstance } from "fastify";
import {
  type ConnectionDrain,
  type DrainOptions,
  type DrainOutcome,
  drainServer,
} from "./connection-drain.js";

export async function drainListeners(
  app: FastifyInstance,
  connectionDrain: ConnectionDrain,
  metricsApp: FastifyInstance | undefined,
  options: DrainOptions,
): Promise<DrainOutcome> {
  const [outcome] = await Promise.all([
    connectionDrain.drain(app.server, options),
    metricsApp?.server.listening ? drainServer(metricsApp.server, options) : undefined,
  ]);
  if (outcome.cutConnections > 0)
    app.log.warn(
      { connections: outcome.cutConnections, timeoutMs: options.timeoutMs },
      "shutdown timeout reached: connections with requests still running were cut",
    );
  return outcome;
}
