/** /v1/me/identities: list and unlink the signed-in user's social-login identities. */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { clientContext } from "../../client-context.js";
import type { HttpDeps } from "../../http-deps.js";
import { requireAuth } from "../../plugins/authentication.js";
import { ProblemError } from "../../problem.js";
import { requireRecentAuthentication } from "../../step-up.js";
import { ListIdentitiesSchema, UnlinkIdentitySchema } from "./identities.schema.js";

export const identitiesRoutes: FastifyPluginAsyncTypebox<HttpDeps> = async (app, deps) => {
  app.addHook("onRequest", app.authenticate);

  app.get("/v1/me/identities", { schema: ListIdentitiesSchema }, async (request) => {
    const identities = await deps.identities.listIdentities(requireAuth(request).userId);
    return {
      identities: identities.map((identity) => ({
        id: identity.id,
        provider: identity.provider,
        email: identity.email,
        createdAt: new Date(identity.createdAt).toISOString(),
      })),
    };
  });

  app.delete("/v1/me/identities/:id", { schema: UnlinkIdentitySchema }, async (request, reply) => {
    // Removing a way to sign in is a sensitive act: it needs a recent sign-in (step-up).
    const auth = requireRecentAuthentication(request, deps.stepUp);
    const outcome = await deps.identities.unlinkIdentity(
      auth.userId,
      request.params.id,
      clientContext(request),
    );
    // Another user's identity answers like an unknown one, so ids reveal nothing.
    if (outcome === "not_found") throw new ProblemError("not_found");
    if (outcome === "last_sign_in_method") throw new ProblemError("last_sign_in_method");
    return reply.code(204).send(null);
  });
};
