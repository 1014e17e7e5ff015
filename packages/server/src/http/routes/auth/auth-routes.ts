/** /v1/auth/*: register, login (token or cookie), refresh, reauthenticate, logout, logout-all. Thin: parse, call one service, map. */

import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyReply } from "fastify";
import type { TokenGrant } from "../../../domain/sessions/session-service.js";
import { sendAccepted } from "../../accepted.js";
import { clientContext } from "../../client-context.js";
import type { HttpDeps } from "../../http-deps.js";
import { requireAuth, requireSessionAuth } from "../../plugins/authentication.js";
import { limitPerClientAddress } from "../../plugins/rate-limit.js";
import { presentTokenGrant, presentUser } from "../../presenters.js";
import { ProblemError, rateLimitedProblem } from "../../problem.js";
import {
  clearRefreshCookie as clearRefresh,
  REFRESH_COOKIE,
  setRefreshCookie as setRefresh,
} from "../../refresh-cookie.js";
import { clearSessionCookie } from "../../session-cookie.js";
import { replySession, replySignIn } from "../../sign-in-reply.js";
import {
  LoginSchema,
  LogoutAllSchema,
  LogoutSchema,
  ReauthenticateSchema,
  RefreshSchema,
  RegisterSchema,
} from "./auth.schema.js";

export { REFRESH_COOKIE };

const WEAKNESS_DETAILS: Record<string, string> = {
  too_short: "must be at least 8 characters",
  too_long: "must be at most 256 characters",
  common: "is too common; it appears in lists of breached passwords",
  contains_email: "must not be your email address",
};

export function weakPasswordProblem(weaknesses: string[], pointer = "/password"): ProblemError {
  return new ProblemError("weak_password", {
    errors: weaknesses.map((code) => ({ pointer, code, detail: WEAKNESS_DETAILS[code] ?? code })),
  });
}

export const authRoutes: FastifyPluginAsyncTypebox<HttpDeps> = async (app, deps) => {
  const { config } = deps;

  const setRefreshCookie = (reply: FastifyReply, grant: TokenGrant) =>
    setRefresh(reply, grant, config.secureCookies);
  const clearRefreshCookie = (reply: FastifyReply) => clearRefresh(reply, config.secureCookies);

  app.post(
    "/v1/auth/register",
    { schema: RegisterSchema, onRequest: limitPerClientAddress(deps.publicEndpointLimiter, "register") },
    async (request, reply) => {
      const outcome = await deps.users.register(request.body, clientContext(request));
      // PORTCULLIS_EMAIL_TAKEN=notify: new and taken addresses get the same answer (the owner gets a mail).
      if (config.emailTaken === "notify" && (outcome.ok || outcome.code === "email_taken")) {
        return sendAccepted(reply);
      }
      if (outcome.ok) return reply.code(201).send({ user: presentUser(outcome.user) });
      switch (outcome.code) {
        case "invalid_email":
          throw new ProblemError("validation_failed", {
            errors: [{ pointer: "/email", detail: "is not a valid email address" }],
          });
        case "weak_password":
          throw weakPasswordProblem(outcome.weaknesses);
        case "email_taken":
          throw new ProblemError("email_taken");
      }
    },
  );

  app.post("/v1/auth/login", { schema: LoginSchema }, async (request, reply) => {
    const { email, password, rememberMe = false, transport = "token" } = request.body;
    const outcome = await deps.login.login(
      { email, password, rememberMe, transport },
      clientContext(request),
    );
    deps.metrics.logins.inc({
      outcome: !outcome.ok ? outcome.code : "mfaRequired" in outcome ? "mfa_required" : "succeeded",
    });
    if (!outcome.ok) {
      if (outcome.code === "rate_limited") {
        throw rateLimitedProblem(outcome.retryAfterSeconds);
      }
      throw new ProblemError(outcome.code);
    }
    // With a second factor enrolled: `{mfaRequired, mfaToken, methods}`, and POST /v1/auth/mfa next.
    return replySignIn(reply, outcome, config.secureCookies);
  });

  app.post("/v1/auth/refresh", { schema: RefreshSchema }, async (request, reply) => {
    const presented = request.body.refreshToken ?? request.cookies[REFRESH_COOKIE];
    if (presented === undefined || presented === "") throw new ProblemError("invalid_refresh_token");
    const outcome = await deps.sessions.refresh(presented, clientContext(request));
    deps.metrics.refreshes.inc({ outcome: outcome.ok ? "rotated" : outcome.code });
    if (!outcome.ok) {
      clearRefreshCookie(reply);
      throw new ProblemError(outcome.code);
    }
    setRefreshCookie(reply, outcome.grant);
    return presentTokenGrant(outcome.grant, outcome.user);
  });

  app.post(
    "/v1/auth/logout",
    { schema: LogoutSchema, onRequest: app.authenticate },
    async (request, reply) => {
      const auth = requireSessionAuth(request);
      await deps.sessions.revokeSession(auth.userId, auth.sessionId, "logout", clientContext(request));
      clearRefreshCookie(reply);
      clearSessionCookie(reply, config.secureCookies);
      return reply.code(204).send(null);
    },
  );

  // Step-up: renews `auth_time` with new tokens (token sessions) or a new cookie (cookie sessions).
  app.post(
    "/v1/auth/reauthenticate",
    { schema: ReauthenticateSchema, onRequest: app.authenticate },
    async (request, reply) => {
      const auth = requireSessionAuth(request);
      const { password, code } = request.body;
      const proof = code === undefined ? { password: password ?? "" } : { code };
      const outcome = await deps.reauthentication.reauthenticate(
        { userId: auth.userId, sessionId: auth.sessionId, ...proof },
        clientContext(request),
      );
      if (!outcome.ok) {
        if (outcome.code === "rate_limited") {
          throw rateLimitedProblem(outcome.retryAfterSeconds);
        }
        throw new ProblemError(outcome.code === "session_ended" ? "invalid_token" : outcome.code);
      }
      return replySession(reply, outcome, config.secureCookies);
    },
  );

  app.post(
    "/v1/auth/logout-all",
    { schema: LogoutAllSchema, onRequest: app.authenticate },
    async (request, reply) => {
      const auth = requireAuth(request);
      await deps.sessions.revokeUserSessions(auth.userId, "logout_all", clientContext(request));
      clearRefreshCookie(reply);
      clearSessionCookie(reply, config.secureCookies);
      return reply.code(204).send(null);
    },
  );
};
