/**
 * /v1/me: the signed-in user's profile, password, email address, and the account itself. Changing
 * the password or the address and deleting the account need step-up (a recent authentication).
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { sendAccepted } from "../../accepted.js";
import { clientContext } from "../../client-context.js";
import type { HttpDeps } from "../../http-deps.js";
import { requireAuth } from "../../plugins/authentication.js";
import { presentUser } from "../../presenters.js";
import { ProblemError, rateLimitedProblem } from "../../problem.js";
import { clearRefreshCookie } from "../../refresh-cookie.js";
import { clearSessionCookie } from "../../session-cookie.js";
import { requireRecentAuthentication } from "../../step-up.js";
import { weakPasswordProblem } from "../auth/auth-routes.js";
import {
  ChangeEmailSchema,
  ChangePasswordSchema,
  DeleteMeSchema,
  GetMeSchema,
  PatchMeSchema,
} from "./me.schema.js";

export const meRoutes: FastifyPluginAsyncTypebox<HttpDeps> = async (app, deps) => {
  app.addHook("onRequest", app.authenticate);

  // API.md: "Bearer, cookie or API key"; an API key needs no scope to say whose it is.
  app.get("/v1/me", { schema: GetMeSchema, config: { apiKey: true } }, async (request) => {
    const user = await deps.users.getUser(requireAuth(request).userId);
    // A token can outlive a deleted account only until revocation catches up; never a 500.
    if (user === undefined) throw new ProblemError("invalid_token");
    return { user: presentUser(user) };
  });

  app.patch("/v1/me", { schema: PatchMeSchema }, async (request) => {
    const user = await deps.users.updateProfile(requireAuth(request).userId, { name: request.body.name });
    if (user === undefined) throw new ProblemError("invalid_token");
    return { user: presentUser(user) };
  });

  app.post("/v1/me/password", { schema: ChangePasswordSchema }, async (request, reply) => {
    const auth = requireRecentAuthentication(request, deps.stepUp);
    const outcome = await deps.users.changePassword(
      {
        userId: auth.userId,
        sessionId: auth.sessionId,
        currentPassword: request.body.currentPassword,
        newPassword: request.body.newPassword,
      },
      clientContext(request),
    );
    if (outcome.ok) return reply.code(204).send(null);
    switch (outcome.code) {
      case "invalid_credentials":
        throw new ProblemError("invalid_credentials", { detail: "The current password is wrong." });
      case "weak_password":
        throw weakPasswordProblem(outcome.weaknesses, "/newPassword");
      case "rate_limited":
        throw rateLimitedProblem(outcome.retryAfterSeconds);
    }
  });

  // 202 whether or not the address has an account: the answer tells nobody which addresses are taken.
  app.post("/v1/me/email", { schema: ChangeEmailSchema }, async (request, reply) => {
    const auth = requireRecentAuthentication(request, deps.stepUp);
    const outcome = await deps.emailChange.requestEmailChange(
      { userId: auth.userId, newEmail: request.body.newEmail },
      clientContext(request),
    );
    if (outcome.ok) return sendAccepted(reply);
    switch (outcome.code) {
      case "invalid_email":
        throw new ProblemError("validation_failed", {
          errors: [{ pointer: "/newEmail", detail: "is not a valid email address" }],
        });
      case "same_email":
        throw new ProblemError("validation_failed", {
          errors: [{ pointer: "/newEmail", detail: "is already the account's address" }],
        });
      case "unknown_user":
        throw new ProblemError("invalid_token");
      case "rate_limited":
        throw rateLimitedProblem(outcome.retryAfterSeconds);
    }
  });

  app.delete("/v1/me", { schema: DeleteMeSchema }, async (request, reply) => {
    const auth = requireRecentAuthentication(request, deps.stepUp);
    const outcome = await deps.accountDeletion.deleteOwnAccount(auth.userId, clientContext(request));
    if (!outcome.ok) {
      if (outcome.code === "last_admin")
        throw new ProblemError("last_admin", {
          detail: "Grant the admin role to another account before deleting this one.",
        });
      throw new ProblemError("invalid_token");
    }
    // As at logout: the cookies the browser holds name a session that is gone.
    clearRefreshCookie(reply, deps.config.secureCookies);
    clearSessionCookie(reply, deps.config.secureCookies);
    return reply.code(204).send(null);
  });
};
