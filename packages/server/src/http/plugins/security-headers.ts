/**
 * Response headers for an API that hands out secrets: nothing is cached (API.md: responses
 * carrying tokens send `no-store`; we send it on every API answer), nothing is sniffed or framed.
 * The docs page gets a CSP that lets Swagger UI run; everything else gets `default-src 'none'`.
 */
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";

export const securityHeaders = fp(
  async (app: FastifyInstance) => {
    app.addHook("onRequest", async (request, reply) => {
      reply.header("x-content-type-options", "nosniff");
      reply.header("referrer-policy", "no-referrer");
      reply.header("x-frame-options", "DENY");
      reply.header("cross-origin-resource-policy", "same-origin");
      if (request.url.startsWith("/docs")) {
        reply.header(
          "content-security-policy",
          "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        );
      } else {
        reply.header("content-security-policy", "default-src 'none'; frame-ancestors 'none'");
      }
      if (!request.url.startsWith("/.well-known/") && !request.url.startsWith("/docs")) {
        reply.header("cache-control", "no-store");
      }
    });
  },
  { name: "portcullis-security-headers" },
);
