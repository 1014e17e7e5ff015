/** Per-client-address limits on public endpoints (register, …), as an `onRequest` hook factory. */
import type { FastifyRequest } from "fastify";
import type { RequestLimiter } from "../../domain/rate-limit/limiter.js";
import { rateLimitedProblem } from "../problem.js";

/**
 * Takes one request of `scope` from this client address's budget: 0 to go on, else seconds to wait.
 * The pages call it directly (to show the wait beside the form); the API through the hook below.
 */
export function consumePerClientAddress(
  limiter: RequestLimiter,
  scope: string,
  request: FastifyRequest,
): Promise<number> {
  return limiter.consume(`${scope}|${request.ip}`);
}

export function limitPerClientAddress(limiter: RequestLimiter, scope: string) {
  return async (request: FastifyRequest): Promise<void> => {
    const retryAfter = await consumePerClientAddress(limiter, scope, request);
    if (retryAfter > 0) throw rateLimitedProblem(retryAfter);
  };
}
