/**
 * /v1/sessions: the device list and signing a device out, for token and cookie sessions alike.
 * Another user's session id answers 404 like an unknown one, so ids reveal nothing.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Session } from "../../../domain/sessions/session.js";
import { clientContext } from "../../client-context.js";
import type { HttpDeps } from "../../http-deps.js";
import { requireSessionAuth } from "../../plugins/authentication.js";
import { ProblemError } from "../../problem.js";
import { clearSessionCookie } from "../../session-cookie.js";
import { ListSessionsSchema, RevokeSessionSchema } from "./sessions.schema.js";

const iso = (ms: number) => new Date(ms).toISOString();

function presentSession(session: Session, currentSessionId: string) {
  return {
    id: session.id,
    current: session.id === currentSessionId,
    transport: session.transport,
    createdAt: iso(session.createdAt),
    lastSeenAt: iso(session.lastSeenAt),
    expiresAt: iso(Math.min(session.expiresAt, session.idleExpiresAt ?? session.expiresAt)),
    ip: session.ip,
    userAgent: session.userAgent,
    amr: session.amr,
  };
}

export const sessionsRoutes: FastifyPluginAsyncTypebox<HttpDeps> = async (app, deps) => {
  app.addHook("onRequest", app.authenticate);

  app.get("/v1/sessions", { schema: ListSessionsSchema }, async (request) => {
    const auth = requireSessionAuth(request);
    const sessions = await deps.sessions.listSessions(auth.userId);
    return { sessions: sessions.map((session) => presentSession(session, auth.sessionId)) };
  });

  app.delete("/v1/sessions/:id", { schema: RevokeSessionSchema }, async (request, reply) => {
    const auth = requireSessionAuth(request);
    const { id } = request.params;
    if (!(await deps.sessions.revokeSession(auth.userId, id, "revoked", clientContext(request)))) {
      throw new ProblemError("not_found", { detail: "No such session." });
    }
    if (id === auth.sessionId && auth.credential === "cookie") {
      clearSessionCookie(reply, deps.config.secureCookies);
    }
    return reply.code(204).send(null);
  });
};
