/** Where a request came from. `request.ip` already honours the trusted-proxy setting. */
import type { FastifyRequest } from "fastify";
import type { ClientContext } from "../domain/audit/audit-event.js";

const MAX_USER_AGENT_LENGTH = 512;

export function clientContext(request: FastifyRequest): ClientContext {
  const userAgent = request.headers["user-agent"];
  return {
    ip: request.ip,
    userAgent:
      typeof userAgent === "string" && userAgent !== "" ? userAgent.slice(0, MAX_USER_AGENT_LENGTH) : null,
  };
}
