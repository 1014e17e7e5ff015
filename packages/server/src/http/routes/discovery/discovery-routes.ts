/**
 * Discovery: the JWKS (RFC 7517) other services verify tokens with, and the authorization
 * server metadata (RFC 8414). The JWKS is re-read at most once a second so a key rotated by
 * the CLI or another instance is published promptly.
 */

import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { HttpDeps } from "../../http-deps.js";

const JWKS_RELOAD_INTERVAL_MS = 1000;

export const discoveryRoutes: FastifyPluginAsyncTypebox<HttpDeps> = async (app, deps) => {
  const { config } = deps;
  let lastReload = Date.now();

  app.get(
    "/.well-known/jwks.json",
    {
      schema: {
        tags: ["discovery"],
        summary: "Public signing keys (JWKS)",
        response: { 200: Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.Unknown())) }) },
      },
    },
    async (_request, reply) => {
      if (Date.now() - lastReload > JWKS_RELOAD_INTERVAL_MS) {
        lastReload = Date.now();
        await deps.signingKeys.reload();
      }
      reply.header("cache-control", "public, max-age=60");
      return deps.keyRing.jwks();
    },
  );

  app.get(
    "/.well-known/oauth-authorization-server",
    {
      schema: {
        tags: ["discovery"],
        summary: "Authorization server metadata (RFC 8414)",
        response: { 200: Type.Record(Type.String(), Type.Unknown()) },
      },
    },
    async (_request, reply) => {
      reply.header("cache-control", "public, max-age=300");
      return {
        issuer: config.publicUrl,
        jwks_uri: `${config.publicUrl}/.well-known/jwks.json`,
        token_endpoint: `${config.publicUrl}/v1/auth/refresh`,
        revocation_endpoint: `${config.publicUrl}/v1/auth/logout`,
        grant_types_supported: ["password", "refresh_token"],
        token_endpoint_auth_methods_supported: ["none"],
        response_types_supported: [],
        scopes_supported: [],
        service_documentation: `${config.publicUrl}/docs`,
      };
    },
  );
};
