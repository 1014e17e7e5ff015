/**
 * Sign-up (`/register`) on the cookie transport: the same service and the same per-address limit
 * as `POST /v1/auth/register`, then a sign-in through the login service (a cookie session), and
 * the browser lands on `redirectTo` or on `/account?notice=verify-email`. When the address must be
 * confirmed first (PORTCULLIS_REQUIRE_VERIFIED_EMAIL), or when every registration must answer
 * alike (PORTCULLIS_EMAIL_TAKEN=notify), nobody is signed in: the "check your email" page follows.
 *
 * `POST /register/password-check` gives the password feedback script the policy's verdict (the
 * breached-password list lives on the server only); it stores nothing and answers JSON.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { clientContext } from "../../http/client-context.js";
import { consumePerClientAddress } from "../../http/plugins/rate-limit.js";
import { setSessionCookie } from "../../http/session-cookie.js";
import type { PageDeps } from "../page-context.js";
import {
  formBody,
  pageContext,
  rateLimitedMessage,
  rawField,
  seeOther,
  sendPage,
  textField,
} from "../render.js";
import { PASSWORD_CHECK_PATH, weaknessesInWords } from "./password-field.js";
import {
  CheckEmailPage,
  EMAIL_MAX_LENGTH,
  NAME_MAX_LENGTH,
  RegisterPage,
  type RegisterPageProps,
} from "./register-page.js";

/** Where a new account lands when no `redirectTo` applies; the account page shows the notice. */
export const AFTER_SIGN_UP = "/account?notice=verify-email";
const CHECK_EMAIL_PATH = "/register/check-email";

type RegisterView = Omit<RegisterPageProps, "ctx" | "redirectTo">;

export const signUpPages: FastifyPluginAsync<PageDeps> = async (app, deps) => {
  const { config, redirects } = deps;

  /** `?redirectTo=` (or the hidden field) if a page may go there, else undefined. */
  const redirectTarget = (value: string | undefined) =>
    redirects.allowed(value) === null ? undefined : value;

  function renderRegister(request: FastifyRequest, reply: FastifyReply, view: RegisterView, status = 200) {
    const query = request.query as Record<string, string | undefined>;
    const redirectTo = redirectTarget(query.redirectTo ?? textField(formBody(request), "redirectTo"));
    return sendPage(
      reply,
      <RegisterPage ctx={pageContext(request)} redirectTo={redirectTo} {...view} />,
      status,
    );
  }

  app.get("/register", { schema: { hide: true } }, async (request, reply) => {
    const ctx = pageContext(request);
    const query = request.query as Record<string, string | undefined>;
    if (ctx.signedIn !== null) return seeOther(reply, redirects.afterSignIn(query.redirectTo));
    return renderRegister(request, reply, {});
  });

  app.post("/register", { schema: { hide: true } }, async (request, reply) => {
    const { t } = pageContext(request);
    const form = formBody(request);
    const email = textField(form, "email") ?? "";
    const name = textField(form, "name");
    const password = rawField(form, "password") ?? "";
    const redirectTo = redirectTarget(textField(form, "redirectTo"));
    const kept = { email, name };

    const wait = await consumePerClientAddress(deps.publicEndpointLimiter, "register", request);
    if (wait > 0) {
      reply.header("retry-after", String(wait));
      return renderRegister(request, reply, { ...kept, error: rateLimitedMessage(t, wait) }, 429);
    }
    // The API's schema limits, checked here because a form has no schema.
    if (email.length > EMAIL_MAX_LENGTH) {
      const error = t.errors.validation_failed;
      return renderRegister(request, reply, { ...kept, error, emailError: t.register.invalidEmail }, 400);
    }
    if (name !== undefined && [...name].length > NAME_MAX_LENGTH) {
      const error = t.errors.validation_failed;
      return renderRegister(request, reply, { ...kept, error, nameError: t.register.nameTooLong }, 400);
    }

    const client = clientContext(request);
    const outcome = await deps.users.register({ email, password, name: name ?? null }, client);
    // PORTCULLIS_EMAIL_TAKEN=notify: new and taken addresses get the same answer (the owner gets a mail).
    if (config.emailTaken === "notify" && (outcome.ok || outcome.code === "email_taken")) {
      return seeOther(reply, CHECK_EMAIL_PATH);
    }
    if (!outcome.ok) {
      switch (outcome.code) {
        case "invalid_email":
          return renderRegister(
            request,
            reply,
            { ...kept, error: t.errors.validation_failed, emailError: t.register.invalidEmail },
            400,
          );
        case "weak_password": {
          const reasons = weaknessesInWords(t, outcome.weaknesses);
          return renderRegister(
            request,
            reply,
            { ...kept, error: t.register.weakPassword, details: reasons, passwordErrors: reasons },
            400,
          );
        }
        case "email_taken":
          return renderRegister(
            request,
            reply,
            { ...kept, error: t.errors.email_taken, offerSignIn: true },
            409,
          );
      }
    }
    if (config.requireVerifiedEmail) return seeOther(reply, CHECK_EMAIL_PATH);

    const signedIn = await deps.login.login(
      { email, password, rememberMe: false, transport: "cookie" },
      client,
    );
    deps.metrics.logins.inc({
      outcome: !signedIn.ok ? signedIn.code : "mfaRequired" in signedIn ? "mfa_required" : "succeeded",
    });
    // A brand-new account has no second factor; should the sign-in not go through (a login limit),
    // the account exists all the same and the person signs in by hand.
    if (!signedIn.ok || !("cookie" in signedIn)) return seeOther(reply, "/login");
    setSessionCookie(reply, signedIn.cookie, config.secureCookies);
    return seeOther(reply, redirects.allowed(redirectTo) ?? AFTER_SIGN_UP);
  });

  app.get(CHECK_EMAIL_PATH, { schema: { hide: true } }, async (request, reply) =>
    sendPage(reply, <CheckEmailPage ctx={pageContext(request)} />),
  );

  // The live feedback of the password field: the policy's reasons as JSON, for a form-encoded
  // `password` (and `email`). Limited per address like the other public endpoints.
  app.post(PASSWORD_CHECK_PATH, { schema: { hide: true } }, async (request, reply) => {
    reply.header("cache-control", "no-store");
    const wait = await consumePerClientAddress(deps.publicEndpointLimiter, "password-check", request);
    if (wait > 0) return reply.code(429).header("retry-after", String(wait)).send({ weaknesses: [] });
    const form = formBody(request);
    const weaknesses = deps.users.checkPassword(rawField(form, "password") ?? "", textField(form, "email"));
    return reply.send({ weaknesses });
  });
};
