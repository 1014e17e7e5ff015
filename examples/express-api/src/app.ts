/**
 * An orders API protected by `@portcullis/middleware/express`: one public route, one for any
 * signed-in caller, one behind a role, one behind a scope (a bearer token or an API key), and
 * one for API keys only. Access tokens are verified locally against Portcullis's JWKS; API keys
 * are validated by Portcullis (introspection); with Redis, revocations are heard at once.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type Clock,
  createApiKeyClient,
  createRevocationListener,
  createTokenVerifier,
  type PortcullisAuth,
  type RevocationListener,
} from "@portcullis/middleware";
import { apiKey, authenticate, authorize, requireScopes } from "@portcullis/middleware/express";
import express from "express";

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
function describeCaller(auth: PortcullisAuth | undefined) {
  if (auth === undefined) throw new Error("no caller: the route lacks authenticate()");
  const { userId, via, sessionId, roles, scopes } = auth;
  return { userId, via, sessionId, roles, scopes };
}

export function createExpressExample(config: ExampleConfig): ExampleService {
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

  const app = express();
  app.disable("x-powered-by");
  app.get("/public/status", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/me", signedIn, (req, res) => {
    res.json(describeCaller(req.auth));
  });
  app.get("/admin/stats", signedIn, authorize("admin"), (_req, res) => {
    res.json({ orders: 42 });
  });
  app.get("/reports", tokenOrKey, requireScopes("reports:read"), (req, res) => {
    res.json({ report: "weekly", caller: describeCaller(req.auth) });
  });
  if (apiKeys !== undefined) {
    const keysOnly = apiKey({ client: apiKeys, ...(revocations === undefined ? {} : { revocations }) });
    app.get("/integrations/orders", keysOnly, (req, res) => {
      res.json({ orders: [], caller: describeCaller(req.auth) });
    });
  }

  let server: Server | undefined;
  return {
    listen(port = 0) {
      return new Promise((resolve, reject) => {
        const listening = app.listen(port, "127.0.0.1", (error?: Error) => {
          if (error) return reject(error);
          resolve(`http://127.0.0.1:${(listening.address() as AddressInfo).port}`);
        });
        server = listening;
      });
    },
    ready: () => verifier.ready(),
    revocations,
    async close() {
      await revocations?.close();
      await new Promise<void>((resolve) => {
        if (server === undefined) return resolve();
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
