/**
 * For resource servers (issue 9), with an API key that has the `introspect` scope and whose owner
 * is an administrator (the owner's role is checked on every call, so demoting them stops the key):
 *
 * - POST /v1/auth/introspect: RFC 7662 token introspection, for services that prefer asking to
 *   verifying tokens themselves, and for API keys presented to a service (which only Portcullis
 *   can check). `{active: false}` for anything not valid.
 * - GET /v1/auth/revocations?since=: what a service listening to the revocation bus may have
 *   missed while disconnected.
 *
 * Sessions (bearer, cookie) cannot call them: these endpoints are for services, and an
 * administrator's session is not a service credential. Each key has its own request budget
 * (PORTCULLIS_INTROSPECTION_RATE_LIMIT); answers are `no-store` (they say whose a token is).
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import { apiKeyPrefix } from "../../../domain/api-keys/api-key-format.js";
import { ADMIN_ROLE } from "../../../domain/authz/roles.js";
import { SCOPES } from "../../../domain/authz/scopes.js";
import type { IntrospectionResult } from "../../../domain/introspection/introspection-service.js";
import type { HttpDeps } from "../../http-deps.js";
import { requireAuth } from "../../plugins/authentication.js";
import { authorize, requireScopes } from "../../plugins/authorization.js";
import { BODY_LIMIT_BYTES } from "../../plugins/json-body.js";
import { ProblemError, rateLimitedProblem } from "../../problem.js";
import { IntrospectSchema, ListRevocationsSchema } from "./introspection.schema.js";

/** RFC 6749 §3.1 (which RFC 7662 §2.1 follows): a parameter sent twice is refused. */
function parseForm(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(text)) {
    if (Object.hasOwn(fields, name)) {
      throw new ProblemError("validation_failed", {
        errors: [{ pointer: `/${name}`, detail: "must be sent once" }],
      });
    }
    // A data property even for "__proto__": never the prototype; the schema then refuses it.
    Object.defineProperty(fields, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return fields;
}

/** A service credential: bearer and cookie sessions answer 403 with the scope they lack. */
async function requireApiKeyCredential(request: FastifyRequest): Promise<void> {
  if (requireAuth(request).credential !== "api_key") {
    throw new ProblemError("insufficient_scope", {
      detail: `This needs an API key with the scope "${SCOPES.introspect}".`,
      headers: {
        "www-authenticate": `ApiKey realm="portcullis", error="insufficient_scope", scope="${SCOPES.introspect}"`,
      },
    });
  }
}

function present(result: IntrospectionResult, issuer: string) {
  if (!result.active) return { active: false };
  if (result.kind === "access_token") {
    const { claims } = result;
    return {
      active: true,
      token_type: "Bearer" as const,
      iss: claims.iss,
      aud: claims.aud,
      sub: claims.sub,
      sid: claims.sid,
      jti: claims.jti,
      ...(claims.scope === undefined ? {} : { scope: claims.scope }),
      roles: claims.roles,
      amr: claims.amr,
      auth_time: claims.auth_time,
      iat: claims.iat,
      exp: claims.exp,
    };
  }
  const { key, user } = result;
  return {
    active: true,
    token_type: "api_key" as const,
    iss: issuer,
    sub: user.id,
    key_id: key.id,
    scope: key.scopes.join(" "),
    roles: user.roles,
    iat: Math.floor(key.createdAt / 1000),
    ...(key.expiresAt === null ? {} : { exp: Math.floor(key.expiresAt / 1000) }),
  };
}

export const introspectionRoutes: FastifyPluginAsyncTypebox<HttpDeps> = async (app, deps) => {
  // RFC 7662 §2.1 asks for a form; JSON (what the rest of the API speaks) is accepted too.
  app.addContentTypeParser(
    "application/x-www-form-urlencoded",
    { parseAs: "string", bodyLimit: BODY_LIMIT_BYTES },
    (_request, body, done) => {
      try {
        done(null, parseForm(body as string));
      } catch (error) {
        done(error as Error, undefined);
      }
    },
  );

  const limitPerKey = async (request: FastifyRequest) => {
    const presented = request.headers["x-api-key"];
    const prefix = typeof presented === "string" ? apiKeyPrefix(presented.trim()) : null;
    const retryAfter = await deps.introspectionLimiter.consume(`introspect|${prefix ?? request.ip}`);
    if (retryAfter > 0) throw rateLimitedProblem(retryAfter);
  };
  const guards = [
    app.authenticate,
    requireApiKeyCredential,
    authorize(ADMIN_ROLE),
    requireScopes(SCOPES.introspect),
    limitPerKey,
  ];

  app.post(
    "/v1/auth/introspect",
    { schema: IntrospectSchema, config: { apiKey: true }, onRequest: guards },
    async (request, reply) => {
      const result = await deps.introspection.introspect(request.body.token);
      reply.header("cache-control", "no-store");
      return present(result, deps.config.publicUrl);
    },
  );

  app.get(
    "/v1/auth/revocations",
    { schema: ListRevocationsSchema, config: { apiKey: true }, onRequest: guards },
    async (request, reply) => {
      const { events, now } = await deps.introspection.listRevocationsSince(request.query.since);
      reply.header("cache-control", "no-store");
      return { revocations: events, now };
    },
  );
};
