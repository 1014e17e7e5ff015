/** Per-client-address limits on public endpoints (register, …), as an `onRequest` hook factory. */
import type { FastifyRequest } from "fastify";
import type { RequestLimiter } from "../../domain/rate-limit/limiter.js";
import { rateLimitedProblem } from "../problem.js";

export function limitPerClientAddress(limiter: RequestLimiter, scope: string) {
  return async (request: FastifyRequest): Promise<void> => {
    const retryAfter = await limiter.consume(`${scope}|${request.ip}`);
    if (retryAfter > 0) throw rateLimitedProblem(retryAfter);
  };
}
