/** /v1/me: the signed-in user's profile and password. */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { clientContext } from "../../client-context.js";
import type { HttpDeps } from "../../http-deps.js";
import { requireAuth } from "../../plugins/authentication.js";
import { presentUser } from "../../presenters.js";
import { ProblemError, rateLimitedProblem } from "../../problem.js";
import { requireRecentAuthentication } from "../../step-up.js";
import { weakPasswordProblem } from "../auth/auth-routes.js";
import { ChangePasswordSchema, GetMeSchema, PatchMeSchema } from "./me.schema.js";

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
};
