/**
 * /v1/api-keys: a signed-in user creates, lists and revokes their own API keys. The owner is
 * always the caller's session, never an id from the request (security.md §2.8, T75); an API key
 * cannot mint or manage keys.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { ApiKey } from "../../../domain/api-keys/api-key.js";
import { clientContext } from "../../client-context.js";
import type { HttpDeps } from "../../http-deps.js";
import { requireSessionAuth } from "../../plugins/authentication.js";
import { ProblemError } from "../../problem.js";
import { requireRecentAuthentication } from "../../step-up.js";
import { CreateApiKeySchema, ListApiKeysSchema, RevokeApiKeySchema } from "./api-keys.schema.js";

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function presentApiKey(key: ApiKey) {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    scopes: key.scopes,
    createdAt: new Date(key.createdAt).toISOString(),
    expiresAt: isoOrNull(key.expiresAt),
    lastUsedAt: isoOrNull(key.lastUsedAt),
  };
}

function parseExpiry(value: string | null | undefined): number | null {
  if (value === undefined || value === null) return null;
  const ms = ISO_DATE_TIME.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new ProblemError("validation_failed", {
      errors: [{ pointer: "/expiresAt", detail: "must be an ISO 8601 date-time, e.g. 2030-01-31T00:00:00Z" }],
    });
  }
  return ms;
}

export const apiKeysRoutes: FastifyPluginAsyncTypebox<HttpDeps> = async (app, deps) => {
  app.addHook("onRequest", app.authenticate);

  app.post("/v1/api-keys", { schema: CreateApiKeySchema }, async (request, reply) => {
    // Step-up: minting a long-lived credential needs a recent authentication.
    const auth = requireRecentAuthentication(request, deps.stepUp);
    const outcome = await deps.apiKeys.createApiKey(
      auth.userId,
      {
        name: request.body.name,
        scopes: request.body.scopes ?? [],
        expiresAt: parseExpiry(request.body.expiresAt),
      },
      clientContext(request),
    );
    if (!outcome.ok && outcome.code === "scope_not_allowed") {
      throw new ProblemError("insufficient_role", {
        detail: `Only an administrator may grant the scope ${outcome.scopes.map((s) => `"${s}"`).join(", ")}.`,
      });
    }
    if (!outcome.ok) {
      throw new ProblemError("validation_failed", {
        errors: [{ pointer: "/expiresAt", detail: "must be in the future" }],
      });
    }
    return reply.code(201).send({ apiKey: presentApiKey(outcome.apiKey), key: outcome.key });
  });

  app.get("/v1/api-keys", { schema: ListApiKeysSchema }, async (request) => {
    const auth = requireSessionAuth(request);
    const keys = await deps.apiKeys.listApiKeys(auth.userId);
    return { apiKeys: keys.map(presentApiKey) };
  });

  app.delete("/v1/api-keys/:id", { schema: RevokeApiKeySchema }, async (request, reply) => {
    const auth = requireSessionAuth(request);
    if (!(await deps.apiKeys.revokeApiKey(auth.userId, request.params.id, clientContext(request)))) {
      throw new ProblemError("not_found");
    }
    return reply.code(204).send(null);
  });
};
