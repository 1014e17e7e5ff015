/**
 * Resource servers: RFC 7662 introspection of any token Portcullis issued, and the revocations a
 * resource server may have missed, rate-limited per API key. Serves POST /v1/auth/introspect and
 * GET /v1/auth/revocations.
 */
import {
  createIntrospectionService,
  type IntrospectionService,
} from "../domain/introspection/introspection-service.js";
import type { RequestLimiter } from "../domain/rate-limit/limiter.js";
import { introspectionRoutes } from "../http/routes/introspection/introspection-routes.js";
import type { ApiKeys } from "./api-keys-feature.js";
import type { Platform } from "./platform-feature.js";
import type { Sessions } from "./sessions-feature.js";

export interface Introspection {
  introspection: IntrospectionService;
  introspectionLimiter: RequestLimiter;
}

export function createIntrospection(deps: Platform & Sessions & ApiKeys): Introspection {
  const { config } = deps;
  deps.host.serve(introspectionRoutes);
  return {
    introspection: createIntrospectionService({
      sessions: deps.sessions,
      apiKeys: deps.apiKeys,
      persistence: deps.persistence,
      clock: deps.clock,
      accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    }),
    introspectionLimiter: deps.shared.requestLimiter(config.introspectionRateLimit, "introspect"),
  };
}
