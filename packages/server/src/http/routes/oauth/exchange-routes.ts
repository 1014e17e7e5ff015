/** POST /v1/auth/exchange: the one-time code of a social-login redirect → a token response (API.md). */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { clientContext } from "../../client-context.js";
import type { HttpDeps } from "../../http-deps.js";
import { limitPerClientAddress } from "../../plugins/rate-limit.js";
import { ProblemError } from "../../problem.js";
import { replySignIn } from "../../sign-in-reply.js";
import { ExchangeSchema } from "./oauth.schema.js";

export const exchangeRoutes: FastifyPluginAsyncTypebox<HttpDeps> = async (app, deps) => {
  app.post(
    "/v1/auth/exchange",
    { schema: ExchangeSchema, onRequest: limitPerClientAddress(deps.publicEndpointLimiter, "exchange") },
    async (request, reply) => {
      const outcome = await deps.socialLogin.exchange(request.body.code, clientContext(request));
      if (!outcome.ok) throw new ProblemError(outcome.code);
      // As the login answers: a token response, or `mfaRequired` when the account has a second factor.
      return replySignIn(reply, outcome, deps.config.secureCookies);
    },
  );
};
