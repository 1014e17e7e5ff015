/**
 * /v1/admin/clients: the OpenID provider's OAuth clients (API.md "Client administration").
 * Guarded like the rest of the admin API: the `admin` role, and `admin:read` or `admin:write`
 * where scopes apply. A confidential client's secret is in two responses only, the creation's and
 * the rotation's; the response schemas list the fields a client shows, so its hash never leaves.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import { ADMIN_ROLE } from "../../../domain/authz/roles.js";
import { SCOPES } from "../../../domain/authz/scopes.js";
import type { ClientFieldError } from "../../../domain/oauth-clients/client-registration.js";
import type { ClientAdminActor } from "../../../domain/oauth-clients/client-service.js";
import type { OAuthClient } from "../../../domain/oauth-clients/oauth-client.js";
import { clientContext } from "../../client-context.js";
import type { HttpDeps } from "../../http-deps.js";
import { requireAuth } from "../../plugins/authentication.js";
import { authorize, requireScopes } from "../../plugins/authorization.js";
import { ProblemError } from "../../problem.js";
import {
  CreateClientSchema,
  DeleteClientSchema,
  GetClientSchema,
  ListClientsSchema,
  PatchClientSchema,
  RotateClientSecretSchema,
} from "./clients.schema.js";

/** A client as the API shows it: never its secret or the secret's hash. */
export function presentClient(client: OAuthClient) {
  return {
    id: client.id,
    name: client.name,
    type: client.type,
    redirectUris: client.redirectUris,
    postLogoutRedirectUris: client.postLogoutRedirectUris,
    grantTypes: client.grantTypes,
    scopes: client.scopes,
    firstParty: client.firstParty,
    backchannelLogoutUri: client.backchannelLogoutUri,
    createdAt: new Date(client.createdAt).toISOString(),
    updatedAt: new Date(client.updatedAt).toISOString(),
  };
}

const invalid = (errors: ClientFieldError[]) =>
  new ProblemError("validation_failed", {
    errors: errors.map(({ pointer, code, detail }) => ({ pointer, code, detail })),
  });

function actor(request: FastifyRequest): ClientAdminActor {
  return { userId: requireAuth(request).userId, client: clientContext(request) };
}

export const clientsRoutes: FastifyPluginAsyncTypebox<HttpDeps> = async (app, deps) => {
  const reading = {
    config: { apiKey: true },
    onRequest: [app.authenticate, authorize(ADMIN_ROLE), requireScopes(SCOPES.adminRead)],
  };
  const writing = {
    config: { apiKey: true },
    onRequest: [app.authenticate, authorize(ADMIN_ROLE), requireScopes(SCOPES.adminWrite)],
  };

  app.post("/v1/admin/clients", { ...writing, schema: CreateClientSchema }, async (request, reply) => {
    const outcome = await deps.clients.createClient(request.body, actor(request));
    if (!outcome.ok) throw invalid(outcome.errors);
    return reply.code(201).send({
      client: presentClient(outcome.client),
      ...(outcome.clientSecret === null ? {} : { clientSecret: outcome.clientSecret }),
    });
  });

  app.get("/v1/admin/clients", { ...reading, schema: ListClientsSchema }, async () => {
    const clients = await deps.clients.listClients();
    return { clients: clients.map(presentClient) };
  });

  app.get("/v1/admin/clients/:id", { ...reading, schema: GetClientSchema }, async (request) => {
    const client = await deps.clients.getClient(request.params.id);
    if (client === null) throw new ProblemError("not_found");
    return { client: presentClient(client) };
  });

  app.patch("/v1/admin/clients/:id", { ...writing, schema: PatchClientSchema }, async (request) => {
    const outcome = await deps.clients.updateClient(request.params.id, request.body, actor(request));
    if (outcome.ok) return { client: presentClient(outcome.client) };
    if (outcome.code === "not_found") throw new ProblemError("not_found");
    throw invalid(outcome.errors);
  });

  app.post(
    "/v1/admin/clients/:id/secret",
    { ...writing, schema: RotateClientSecretSchema },
    async (request) => {
      const outcome = await deps.clients.rotateClientSecret(request.params.id, actor(request));
      if (outcome.ok) return { clientSecret: outcome.clientSecret };
      if (outcome.code === "not_found") throw new ProblemError("not_found");
      throw new ProblemError("validation_failed", {
        detail: "A public client has no secret: it proves itself with PKCE instead.",
        errors: [{ pointer: "/", detail: "the client is public", code: "public_client" }],
      });
    },
  );

  app.delete("/v1/admin/clients/:id", { ...writing, schema: DeleteClientSchema }, async (request, reply) => {
    if (!(await deps.clients.deleteClient(request.params.id, actor(request)))) {
      throw new ProblemError("not_found");
    }
    return reply.code(204).send(null);
  });
};
