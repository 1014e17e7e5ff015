/**
 * What every route relies on, registered before any of them: the shared schemas, the access log,
 * RFC 9457 errors, the JSON body parser and its guards, security headers, the connection drain,
 * cookies, metrics, authentication (bearer token, API key, session cookie), and the OpenAPI
 * document with its viewer.
 */
import fastifyCookie from "@fastify/cookie";
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import type { Config } from "../config/config.js";
import type { ApiKeyService } from "../domain/api-keys/api-key-service.js";
import type { CsrfTokens } from "../domain/sessions/csrf-token.js";
import type { SessionService } from "../domain/sessions/session-service.js";
import { type ConnectionDrain, createConnectionDrain } from "./connection-drain.js";
import { accessLog } from "./plugins/access-log.js";
import {
  apiKeyResolver,
  authentication,
  bearerTokenResolver,
  sessionCookieResolver,
} from "./plugins/authentication.js";
import { errorHandling } from "./plugins/error-handling.js";
import { jsonBody } from "./plugins/json-body.js";
import { type AuthMetrics, httpMetrics } from "./plugins/metrics.js";
import { nulGuard } from "./plugins/nul-guard.js";
import { securityHeaders } from "./plugins/security-headers.js";
import { sharedSchemas } from "./schemas.js";

export interface HttpFoundationDeps {
  config: Config;
  /** Where the access log writes (the default logger's destination), if not the logger itself. */
  logStream: { write(line: string): void } | undefined;
  sessions: SessionService;
  apiKeys: ApiKeyService;
  csrf: CsrfTokens;
  metrics: AuthMetrics;
  /** True for an error that means the database is down (a 503, not a 500). */
  isDependencyDown(error: unknown): boolean;
}

/** Resolves with the connection drain, which the graceful shutdown starts. */
export async function registerHttpFoundation(
  app: FastifyInstance,
  deps: HttpFoundationDeps,
): Promise<ConnectionDrain> {
  const { config, sessions } = deps;
  for (const schema of sharedSchemas) app.addSchema(schema);
  await app.register(accessLog, {
    setting: config.accessLog,
    level: config.logLevel,
    stream: deps.logStream,
  });
  await app.register(errorHandling, { isDependencyDown: deps.isDependencyDown });
  await app.register(jsonBody);
  await app.register(nulGuard);
  await app.register(securityHeaders);
  const connectionDrain = createConnectionDrain();
  await app.register(connectionDrain.plugin);
  await app.register(fastifyCookie);
  await app.register(httpMetrics, { metrics: deps.metrics });
  await app.register(authentication, {
    // Bearer first: it wins when a request also carries the session cookie.
    resolvers: [
      bearerTokenResolver(sessions),
      apiKeyResolver(deps.apiKeys),
      sessionCookieResolver(sessions, config.secureCookies, {
        tokens: deps.csrf,
        origin: new URL(config.publicUrl).origin,
      }),
    ],
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: "3.1.0",
      info: { title: "Portcullis", version: "1", description: "Authentication server API (contract v1)" },
      servers: [{ url: config.publicUrl }],
      components: {
        securitySchemes: {
          bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
          apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
          sessionCookie: { type: "apiKey", in: "cookie", name: "pc_session" },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(fastifySwaggerUi, { routePrefix: "/docs" });

  // A POST without a body is validated as an empty object, so optional-body routes need no special case.
  app.addHook("preValidation", async (request) => {
    if (request.body === undefined && request.method !== "GET" && request.method !== "HEAD")
      request.body = {};
  });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  return connectionDrain;
}
