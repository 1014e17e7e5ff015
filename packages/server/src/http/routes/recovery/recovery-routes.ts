/**
 * /v1/password/forgot, /v1/password/reset, /v1/email/verify, /v1/email/verify/resend
 * (API.md "Password reset and email verification"), and /v1/email/change/confirm, the link of an
 * email change (requested at POST /v1/me/email). Thin: parse, call one service, map.
 * A spent, expired or unknown token is `400 invalid_token` here (not the 401 of a bearer token:
 * the caller is not authenticating, a link is wrong).
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { sendAccepted } from "../../accepted.js";
import { clientContext } from "../../client-context.js";
import type { HttpDeps } from "../../http-deps.js";
import { requireAuth } from "../../plugins/authentication.js";
import { limitPerClientAddress } from "../../plugins/rate-limit.js";
import { presentUser } from "../../presenters.js";
import { ProblemError, rateLimitedProblem } from "../../problem.js";
import { weakPasswordProblem } from "../auth/auth-routes.js";
import {
  ConfirmEmailChangeSchema,
  ForgotPasswordSchema,
  ResendVerificationSchema,
  ResetPasswordSchema,
  VerifyEmailSchema,
} from "./recovery.schema.js";

const invalidLink = () =>
  new ProblemError("invalid_token", {
    status: 400,
    detail: "The link is not valid: it was already used, has expired, or was never issued.",
  });

export const recoveryRoutes: FastifyPluginAsyncTypebox<HttpDeps> = async (app, deps) => {
  app.post(
    "/v1/password/forgot",
    { schema: ForgotPasswordSchema, onRequest: limitPerClientAddress(deps.publicEndpointLimiter, "forgot") },
    async (request, reply) => {
      const outcome = await deps.passwordReset.requestPasswordReset(
        request.body.email,
        clientContext(request),
      );
      if (outcome.ok) return sendAccepted(reply);
      switch (outcome.code) {
        case "invalid_email":
          throw new ProblemError("validation_failed", {
            errors: [{ pointer: "/email", detail: "is not a valid email address" }],
          });
        case "rate_limited":
          throw rateLimitedProblem(outcome.retryAfterSeconds);
      }
    },
  );

  // A reset hashes the new password: limited per client address like the other public endpoints.
  app.post(
    "/v1/password/reset",
    { schema: ResetPasswordSchema, onRequest: limitPerClientAddress(deps.publicEndpointLimiter, "reset") },
    async (request, reply) => {
      const outcome = await deps.passwordReset.resetPassword(request.body, clientContext(request));
      if (outcome.ok) return reply.code(204).send(null);
      switch (outcome.code) {
        case "invalid_token":
          throw invalidLink();
        case "weak_password":
          throw weakPasswordProblem(outcome.weaknesses);
      }
    },
  );

  app.post(
    "/v1/email/verify",
    { schema: VerifyEmailSchema, onRequest: limitPerClientAddress(deps.publicEndpointLimiter, "verify") },
    async (request) => {
      const outcome = await deps.emailVerification.verifyEmail(request.body.token, clientContext(request));
      if (!outcome.ok) throw invalidLink();
      return { user: presentUser(outcome.user) };
    },
  );

  // Public: the token is the credential (256 bits, so the per-address limit only curbs noise).
  app.post(
    "/v1/email/change/confirm",
    {
      schema: ConfirmEmailChangeSchema,
      onRequest: limitPerClientAddress(deps.publicEndpointLimiter, "email-change"),
    },
    async (request) => {
      const outcome = await deps.emailChange.confirmEmailChange(request.body.token, clientContext(request));
      if (outcome.ok) return { user: presentUser(outcome.user) };
      switch (outcome.code) {
        case "invalid_token":
          throw invalidLink();
        case "email_taken":
          throw new ProblemError("email_taken", {
            detail: "Another account took this address after the link was sent; the address was not changed.",
          });
      }
    },
  );

  app.post(
    "/v1/email/verify/resend",
    {
      schema: ResendVerificationSchema,
      onRequest: [app.authenticate, limitPerClientAddress(deps.publicEndpointLimiter, "resend")],
    },
    async (request, reply) => {
      const outcome = await deps.emailVerification.resendVerification(
        requireAuth(request).userId,
        clientContext(request),
      );
      if (outcome.ok) return sendAccepted(reply);
      switch (outcome.code) {
        // A token can outlive a deleted account only until revocation catches up.
        case "unknown_user":
          throw new ProblemError("invalid_token");
        case "rate_limited":
          throw rateLimitedProblem(outcome.retryAfterSeconds);
      }
    },
  );
};
