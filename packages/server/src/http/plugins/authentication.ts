/**
 * Authentication of API requests. `request.auth` is declared up front (null) and filled by the
 * `authenticate` hook that protected routes list in `onRequest`. A bearer access token is
 * verified locally: signature (or the verified-token cache) and the in-memory revocation set,
 * no I/O. No credentials: 401 `unauthenticated`; a credential that fails: 401 `invalid_token`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import type { SessionService } from "../../domain/sessions/session-service.js";
import { ProblemError } from "../problem.js";

export interface AuthContext {
  userId: string;
  sessionId: string;
  roles: string[];
  amr: string[];
  authTime: number;
  scope: string | undefined;
  credential: "bearer";
}

declare module "fastify" {
  interface FastifyRequest {
    auth: AuthContext | null;
  }
  interface FastifyInstance {
    authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
}

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** The authenticated caller of a route that listed `app.authenticate`. */
export function requireAuth(request: FastifyRequest): AuthContext {
  if (request.auth === null) throw new ProblemError("unauthenticated");
  return request.auth;
}

export const authentication = fp(
  async (app: FastifyInstance, options: { sessions: SessionService }) => {
    app.decorateRequest("auth", null);
    app.decorate("authenticate", async (request: FastifyRequest) => {
      const header = request.headers.authorization;
      if (header === undefined || header === "") throw new ProblemError("unauthenticated");
      const token = BEARER.exec(header)?.[1];
      const claims = token === undefined ? null : options.sessions.authenticateAccessToken(token);
      if (claims === null) throw new ProblemError("invalid_token");
      request.auth = {
        userId: claims.sub,
        sessionId: claims.sid,
        roles: claims.roles,
        amr: claims.amr,
        authTime: claims.auth_time,
        scope: claims.scope,
        credential: "bearer",
      };
    });
  },
  { name: "portcullis-authentication" },
);
