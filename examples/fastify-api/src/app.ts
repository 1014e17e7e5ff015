/**
 * An orders API protected by `@portcullis/middleware/fastify`: one public route, one for any
 * signed-in caller, one behind a role, one behind a scope (a bearer token or an API key), and
 * one for API keys only. Access tokens are verified locally against Portcullis's JWKS; API keys
 * are validated by Portcullis (introspection); with Redis, revocations are heard at once.
 */
import {
  type Clock,
  createApiKeyClient,
  createRevocationListener,
  createTokenVerifier,
  type PortcullisAuth,
  type RevocationListener,
} from "@portcullis/middleware";
import {
  apiKey,
  authenticate,
  authorize,
  portcullisAuth,
  requireScopes,
} from "@portcullis/middleware/fastify";
import Fastify from "fastify";

export interface ExampleConfig {
  /** Portcullis's public URL: the `iss` of its tokens. */
  issuer: string;
  /** The `aud` of its tokens (PORTCULLIS_AUDIENCE; by default its public URL). */
  audience: string;
  /** Where this service reaches Portcullis (JWKS, introspection, revocations). */
  portcullisUrl: string;
  /** An API key with the `introspect` scope: enables API keys and instant revocation. */
  introspectionKey?: string;
  /** Instant revocation: the Redis Portcullis publishes revocations on. */
  redisUrl?: string;
  redisPrefix?: string;
  /** Tokens while the revocation listener is not in step with Portcullis; default "accept". */
  whenRevocationsUnavailable?: "accept" | "refuse";
  clock?: Clock;
  onError?: (error: unknown, context: string) => void;
  /** Fastify's logger; off by default. */
  logger?: boolean;
}

export interface ExampleService {
  /** Listens on 127.0.0.1 and resolves with the base URL. */
  listen(port?: number): Promise<string>;
  /** Fetches the JWKS and waits for the revocation listener (at start-up). */
  ready(): Promise<void>;
  readonly revocations: RevocationListener | undefined;
  close(): Promise<void>;
}

/** What the example answers about its caller. */
function describeCaller(auth: PortcullisAuth | null) {
  if (auth === null) throw new Error("no caller: the route lacks authenticate()");
  const { userId, via, sessionId, roles, scopes } = auth;
  return { userId, via, sessionId, roles, scopes };
}

export function createFastifyExample(config: ExampleConfig): ExampleService {
  const common = {
    ...(config.clock === undefined ? {} : { clock: config.clock }),
    ...(config.onError === undefined ? {} : { onError: config.onError }),
  };
  const revocations =
    config.redisUrl === undefined || config.introspectionKey === undefined
      ? undefined
      : createRevocationListener({
          redisUrl: config.redisUrl,
          ...(config.redisPrefix === undefined ? {} : { prefix: config.redisPrefix }),
          portcullisUrl: config.portcullisUrl,
          apiKey: config.introspectionKey,
          whenUnavailable: config.whenRevocationsUnavailable ?? "accept",
          ...common,
        });
  // One verifier for the whole service: it holds the JWKS and the verified-token cache.
  const verifier = createTokenVerifier({
    issuer: config.issuer,
    audience: config.audience,
    jwksUrl: `${config.portcullisUrl}/.well-known/jwks.json`,
    ...(revocations === undefined ? {} : { revocations }),
    ...common,
  });
  const apiKeys =
    config.introspectionKey === undefined
      ? undefined
      : createApiKeyClient({
          portcullisUrl: config.portcullisUrl,
          apiKey: config.introspectionKey,
          ...common,
        });

  const signedIn = authenticate({ verifier });
  const tokenOrKey = authenticate({ verifier, ...(apiKeys === undefined ? {} : { apiKeys }) });

  const app = Fastify({ logger: config.logger ?? false });
  // Declares request.auth up front; registered at the root (not encapsulated).
  void app.register(portcullisAuth);

  app.get("/public/status", async () => ({ status: "ok" }));
  app.get("/me", { onRequest: signedIn }, async (request) => describeCaller(request.auth));
  app.get("/admin/stats", { onRequest: [signedIn, authorize("admin")] }, async () => ({ orders: 42 }));
  app.get("/reports", { onRequest: [tokenOrKey, requireScopes("reports:read")] }, async (request) => ({
    report: "weekly",
    caller: describeCaller(request.auth),
  }));
  if (apiKeys !== undefined) {
    const keysOnly = apiKey({ client: apiKeys, ...(revocations === undefined ? {} : { revocations }) });
    app.get("/integrations/orders", { onRequest: keysOnly }, async (request) => ({
      orders: [],
      caller: describeCaller(request.auth),
    }));
  }

  return {
    listen: (port = 0) => app.listen({ port, host: "127.0.0.1" }),
    ready: () => verifier.ready(),
    revocations,
    async close() {
      await revocations?.close();
      await app.close();
    },
  };
}
