/**
 * The pages the recovery mails lead to, on the same services and per-address limits as their
 * JSON twins (API.md "Password reset and email verification"):
 *  - `/forgot-password` → `POST /v1/password/forgot`: one answer for every address;
 *  - `/reset-password?token=` → `POST /v1/password/reset`: every session ends, nobody is signed in;
 *  - `/verify-email?token=` → `POST /v1/email/verify`, and `/verify-email` (no token) with
 *    `POST /verify-email/resend` → `POST /v1/email/verify/resend` for a signed-in person;
 *  - `/confirm-email-change?token=` → `POST /v1/email/change/confirm`.
 * A link's GET only shows a button (mail scanners open links); the POST acts. Tokens travel on in
 * hidden fields, and request URLs are redacted in the logs. Each outcome ends on a GET (303).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { EMAIL_VERIFICATION_TTL_MS } from "../../domain/recovery/email-verification-service.js";
import { PASSWORD_RESET_TTL_MS } from "../../domain/recovery/password-reset-service.js";
import { clientContext } from "../../http/client-context.js";
import { consumePerClientAddress } from "../../http/plugins/rate-limit.js";
import { clearSessionCookie } from "../../http/session-cookie.js";
import type { PageDeps } from "../page-context.js";
import {
  formBody,
  pageContext,
  rateLimitedMessage,
  rawField,
  seeOther,
  sendPage,
  textField,
  waitInWords,
} from "../render.js";
import { weaknessesInWords } from "../sign-up/password-field.js";
import { EMAIL_MAX_LENGTH } from "../sign-up/register-page.js";
import {
  ConfirmEmailChangePage,
  EmailChangedPage,
  EmailChangeFailedPage,
} from "./confirm-email-change-page.js";
import { ForgotPasswordPage, ForgotSentPage } from "./forgot-password-page.js";
import { ResetDonePage, ResetLinkInvalidPage, ResetPasswordPage } from "./reset-password-page.js";
import { VerifiedPage, VerifyEmailPage, VerifyStatusPage } from "./verify-email-page.js";

const page = { schema: { hide: true } };

/** The `token` of a link (query) or of the form that carries it on; undefined when absent. */
function linkToken(request: FastifyRequest): string | undefined {
  const query = request.query as Record<string, string | undefined>;
  const token = request.method === "POST" ? rawField(formBody(request), "token") : query.token;
  return token === undefined || token === "" ? undefined : token;
}

export const recoveryPages: FastifyPluginAsync<PageDeps> = async (app, deps) => {
  const { config } = deps;

  /** Seconds to wait (0: go on) under the same per-address budget as the JSON endpoint `scope`. */
  async function limited(request: FastifyRequest, reply: FastifyReply, scope: string): Promise<number> {
    const wait = await consumePerClientAddress(deps.publicEndpointLimiter, scope, request);
    if (wait > 0) reply.header("retry-after", String(wait));
    return wait;
  }

  // Forgot password.
  app.get("/forgot-password", page, async (request, reply) =>
    sendPage(reply, <ForgotPasswordPage ctx={pageContext(request)} />),
  );

  app.post("/forgot-password", page, async (request, reply) => {
    const ctx = pageContext(request);
    const { t } = ctx;
    const email = textField(formBody(request), "email") ?? "";
    const wait = await limited(request, reply, "forgot");
    if (wait > 0) {
      return sendPage(
        reply,
        <ForgotPasswordPage ctx={ctx} email={email} error={rateLimitedMessage(t, wait)} />,
        429,
      );
    }
    const outcome =
      email.length > EMAIL_MAX_LENGTH
        ? ({ ok: false, code: "invalid_email" } as const)
        : await deps.passwordReset.requestPasswordReset(email, clientContext(request));
    if (outcome.ok) return seeOther(reply, "/forgot-password/sent");
    switch (outcome.code) {
      case "invalid_email":
        return sendPage(
          reply,
          <ForgotPasswordPage
            ctx={ctx}
            email={email}
            error={t.errors.validation_failed}
            emailError={t.register.invalidEmail}
          />,
          400,
        );
      case "rate_limited":
        reply.header("retry-after", String(outcome.retryAfterSeconds));
        return sendPage(
          reply,
          <ForgotPasswordPage
            ctx={ctx}
            email={email}
            error={rateLimitedMessage(t, outcome.retryAfterSeconds)}
          />,
          429,
        );
    }
  });

  app.get("/forgot-password/sent", page, async (request, reply) => {
    const ctx = pageContext(request);
    return sendPage(
      reply,
      <ForgotSentPage ctx={ctx} lifetime={waitInWords(ctx.t, PASSWORD_RESET_TTL_MS / 1000)} />,
    );
  });

  // Reset password.
  app.get("/reset-password", page, async (request, reply) => {
    const ctx = pageContext(request);
    const token = linkToken(request);
    if (token === undefined) {
      return sendPage(reply, <ResetLinkInvalidPage ctx={ctx} message={ctx.t.recovery.resetNoToken} />, 400);
    }
    return sendPage(reply, <ResetPasswordPage ctx={ctx} token={token} />);
  });

  app.post("/reset-password", page, async (request, reply) => {
    const ctx = pageContext(request);
    const { t } = ctx;
    const token = linkToken(request);
    if (token === undefined) {
      return sendPage(reply, <ResetLinkInvalidPage ctx={ctx} message={t.recovery.resetNoToken} />, 400);
    }
    const wait = await limited(request, reply, "reset");
    if (wait > 0) {
      return sendPage(
        reply,
        <ResetPasswordPage ctx={ctx} token={token} error={rateLimitedMessage(t, wait)} />,
        429,
      );
    }
    const password = rawField(formBody(request), "password") ?? "";
    const outcome = await deps.passwordReset.resetPassword({ token, password }, clientContext(request));
    if (outcome.ok) {
      // The service ended every session of the account, this browser's (if any) among them.
      clearSessionCookie(reply, config.secureCookies);
      return seeOther(reply, "/reset-password/done");
    }
    switch (outcome.code) {
      case "invalid_token":
        return sendPage(reply, <ResetLinkInvalidPage ctx={ctx} message={t.recovery.resetInvalidLink} />, 400);
      case "weak_password": {
        const reasons = weaknessesInWords(t, outcome.weaknesses);
        return sendPage(
          reply,
          <ResetPasswordPage
            ctx={ctx}
            token={token}
            error={t.register.weakPassword}
            details={reasons}
            passwordErrors={reasons}
          />,
          400,
        );
      }
    }
  });

  app.get("/reset-password/done", page, async (request, reply) =>
    sendPage(reply, <ResetDonePage ctx={pageContext(request)} />),
  );

  // Email verification.
  app.get("/verify-email", page, async (request, reply) => {
    const ctx = pageContext(request);
    const token = linkToken(request);
    if (token !== undefined) return sendPage(reply, <VerifyEmailPage ctx={ctx} token={token} />);
    const query = request.query as Record<string, string | undefined>;
    const resent = query.resent === "1" ? waitInWords(ctx.t, EMAIL_VERIFICATION_TTL_MS / 1000) : undefined;
    return sendPage(reply, <VerifyStatusPage ctx={ctx} resentLifetime={resent} />);
  });

  app.post("/verify-email", page, async (request, reply) => {
    const ctx = pageContext(request);
    const { t } = ctx;
    const token = linkToken(request);
    const wait = await limited(request, reply, "verify");
    if (wait > 0) {
      const view =
        token === undefined ? (
          <VerifyStatusPage ctx={ctx} error={rateLimitedMessage(t, wait)} />
        ) : (
          <VerifyEmailPage ctx={ctx} token={token} error={rateLimitedMessage(t, wait)} />
        );
      return sendPage(reply, view, 429);
    }
    const outcome =
      token === undefined
        ? ({ ok: false, code: "invalid_token" } as const)
        : await deps.emailVerification.verifyEmail(token, clientContext(request));
    if (outcome.ok) return seeOther(reply, "/verify-email/done");
    return sendPage(reply, <VerifyStatusPage ctx={ctx} error={t.recovery.verifyInvalidLink} />, 400);
  });

  app.get("/verify-email/done", page, async (request, reply) =>
    sendPage(reply, <VerifiedPage ctx={pageContext(request)} />),
  );

  app.post("/verify-email/resend", page, async (request, reply) => {
    const ctx = pageContext(request);
    const signedIn = ctx.signedIn;
    // Back to the page with the button after signing in (this address only takes a POST).
    if (signedIn === null) return seeOther(reply, `/login?redirectTo=${encodeURIComponent("/verify-email")}`);
    const wait = await limited(request, reply, "resend");
    const outcome =
      wait > 0
        ? ({ ok: false, code: "rate_limited", retryAfterSeconds: wait } as const)
        : await deps.emailVerification.resendVerification(signedIn.user.id, clientContext(request));
    if (outcome.ok) return seeOther(reply, outcome.sent ? "/verify-email?resent=1" : "/verify-email");
    if (outcome.code === "unknown_user") return seeOther(reply, "/login");
    reply.header("retry-after", String(outcome.retryAfterSeconds));
    return sendPage(
      reply,
      <VerifyStatusPage ctx={ctx} error={rateLimitedMessage(ctx.t, outcome.retryAfterSeconds)} />,
      429,
    );
  });

  // Email change.
  app.get("/confirm-email-change", page, async (request, reply) => {
    const ctx = pageContext(request);
    const token = linkToken(request);
    if (token === undefined) {
      return sendPage(
        reply,
        <EmailChangeFailedPage ctx={ctx} message={ctx.t.recovery.changeInvalidLink} />,
        400,
      );
    }
    return sendPage(reply, <ConfirmEmailChangePage ctx={ctx} token={token} />);
  });

  app.post("/confirm-email-change", page, async (request, reply) => {
    const ctx = pageContext(request);
    const { t } = ctx;
    const token = linkToken(request);
    if (token === undefined) {
      return sendPage(reply, <EmailChangeFailedPage ctx={ctx} message={t.recovery.changeInvalidLink} />, 400);
    }
    const wait = await limited(request, reply, "email-change");
    if (wait > 0) {
      return sendPage(
        reply,
        <ConfirmEmailChangePage ctx={ctx} token={token} error={rateLimitedMessage(t, wait)} />,
        429,
      );
    }
    const outcome = await deps.emailChange.confirmEmailChange(token, clientContext(request));
    if (outcome.ok) return seeOther(reply, "/confirm-email-change/done");
    switch (outcome.code) {
      case "invalid_token":
        return sendPage(
          reply,
          <EmailChangeFailedPage ctx={ctx} message={t.recovery.changeInvalidLink} />,
          400,
        );
      case "email_taken":
        return sendPage(reply, <EmailChangeFailedPage ctx={ctx} message={t.recovery.changeTaken} />, 409);
    }
  });

  app.get("/confirm-email-change/done", page, async (request, reply) =>
    sendPage(reply, <EmailChangedPage ctx={pageContext(request)} />),
  );
};
