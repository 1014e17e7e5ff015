/**
 * /v1/admin/*: the administrators' API (API.md "Administration"). Every route needs the `admin`
 * role (403 `insufficient_role` without it) and, for API keys, the `admin:read` or `admin:write`
 * scope (403 `insufficient_scope`); no credentials is 401. Thin: each route calls one service.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import type { AdminActor } from "../../../domain/admin/user-admin-service.js";
import { ADMIN_ROLE } from "../../../domain/authz/roles.js";
import { SCOPES } from "../../../domain/authz/scopes.js";
import type { User } from "../../../domain/users/user.js";
import { clientContext } from "../../client-context.js";
import type { HttpDeps } from "../../http-deps.js";
import { requireAuth } from "../../plugins/authentication.js";
import { authorize, requireScopes } from "../../plugins/authorization.js";
import { presentUser } from "../../presenters.js";
import { ProblemError } from "../../problem.js";
import { EVENT_LIMIT_DEFAULT } from "../me/me-events.schema.js";
import { presentEvent } from "../me/me-events-routes.js";
import {
  DeleteUserSchema,
  GetUserSchema,
  ListEventsSchema,
  ListUsersSchema,
  PatchUserSchema,
  ResetUserMfaSchema,
  RevokeUserSessionsSchema,
  USER_LIMIT_DEFAULT,
} from "./admin.schema.js";

export function presentAdminUser(user: User) {
  return { ...presentUser(user), disabled: user.disabledAt !== null };
}

const invalidCursor = () =>
  new ProblemError("validation_failed", {
    errors: [{ pointer: "/cursor", detail: "is not a cursor this server handed out" }],
  });

function actor(request: FastifyRequest): AdminActor {
  return { userId: requireAuth(request).userId, client: clientContext(request) };
}

export const adminRoutes: FastifyPluginAsyncTypebox<HttpDeps> = async (app, deps) => {
  const reading = {
    config: { apiKey: true },
    onRequest: [app.authenticate, authorize(ADMIN_ROLE), requireScopes(SCOPES.adminRead)],
  };
  const writing = {
    config: { apiKey: true },
    onRequest: [app.authenticate, authorize(ADMIN_ROLE), requireScopes(SCOPES.adminWrite)],
  };

  app.get("/v1/admin/users", { ...reading, schema: ListUsersSchema }, async (request) => {
    const { q, cursor, limit = USER_LIMIT_DEFAULT } = request.query;
    const page = await deps.userAdmin.listUsers({
      limit,
      ...(q === undefined ? {} : { text: q }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    if (!page.ok) throw invalidCursor();
    return { users: page.users.map(presentAdminUser), nextCursor: page.nextCursor };
  });

  app.get("/v1/admin/users/:id", { ...reading, schema: GetUserSchema }, async (request) => {
    const user = await deps.userAdmin.getUser(request.params.id);
    if (user === undefined) throw new ProblemError("not_found");
    return { user: presentAdminUser(user) };
  });

  app.patch("/v1/admin/users/:id", { ...writing, schema: PatchUserSchema }, async (request) => {
    const { roles, disabled } = request.body;
    const outcome = await deps.userAdmin.updateUser(
      request.params.id,
      { ...(roles === undefined ? {} : { roles }), ...(disabled === undefined ? {} : { disabled }) },
      actor(request),
    );
    if (outcome.ok) return { user: presentAdminUser(outcome.user) };
    if (outcome.code === "not_found") throw new ProblemError("not_found");
    if (outcome.code === "last_admin") throw new ProblemError("last_admin");
    throw new ProblemError("validation_failed", {
      errors: outcome.roles.map((role) => ({
        pointer: `/roles/${roles?.indexOf(role) ?? 0}`,
        detail: `"${role}" is not a role this server knows (${deps.config.roles.join(", ")})`,
      })),
    });
  });

  app.delete("/v1/admin/users/:id", { ...writing, schema: DeleteUserSchema }, async (request, reply) => {
    const outcome = await deps.userAdmin.deleteUser(request.params.id, actor(request));
    if (outcome === "not_found") throw new ProblemError("not_found");
    if (outcome === "last_admin") throw new ProblemError("last_admin");
    return reply.code(204).send(null);
  });

  app.post(
    "/v1/admin/users/:id/revoke-sessions",
    { ...writing, schema: RevokeUserSessionsSchema },
    async (request, reply) => {
      if (!(await deps.userAdmin.revokeSessions(request.params.id, actor(request)))) {
        throw new ProblemError("not_found");
      }
      return reply.code(204).send(null);
    },
  );

  // For a user who lost every factor (issue 5): the identity check is the administrator's to make.
  app.post(
    "/v1/admin/users/:id/mfa/reset",
    { ...writing, schema: ResetUserMfaSchema },
    async (request, reply) => {
      if (!(await deps.mfa.resetFactors(request.params.id, actor(request)))) {
        throw new ProblemError("not_found");
      }
      return reply.code(204).send(null);
    },
  );

  app.get("/v1/admin/events", { ...reading, schema: ListEventsSchema }, async (request) => {
    const { userId, type, cursor, limit = EVENT_LIMIT_DEFAULT } = request.query;
    const page = await deps.auditLog.listEvents({
      limit,
      ...(userId === undefined ? {} : { userId }),
      ...(type === undefined ? {} : { type }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    if (!page.ok) throw invalidCursor();
    return {
      events: page.events.map((event) => ({
        ...presentEvent(event),
        userId: event.userId,
        actorId: event.actorId,
      })),
      nextCursor: page.nextCursor,
    };
  });
};
