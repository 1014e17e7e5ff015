/**
 * Sign-in (`/login`), the second factor (`/login/mfa`) and sign-out (`/logout`), on the cookie
 * transport. The same services as `POST /v1/auth/login` and `/v1/auth/mfa`: the page only
 * parses the form, calls one service and maps the outcome to a redirect or to the form again
 * with the error in words (the email kept, never the password).
 *
 * Between the two steps the mfaToken travels in an HttpOnly cookie scoped to `/login`, never in
 * a URL or a page.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { MfaMethod } from "../../domain/mfa/mfa-store.js";
import type { SignedIn } from "../../domain/users/sign-in.js";
import { clientContext } from "../../http/client-context.js";
import { clearSessionCookie, setSessionCookie } from "../../http/session-cookie.js";
import type { PageDeps } from "../page-context.js";
import {
  errorMessage,
  formBody,
  pageContext,
  rateLimitedMessage,
  rawField,
  seeOther,
  sendPage,
  textField,
} from "../render.js";
import { LoginPage } from "./login-page.js";
import { MfaPage } from "./mfa-page.js";

const MFA_COOKIE = "pc_mfa";
const MFA_COOKIE_SECONDS = 300;
/** Backup codes are `xxxx-xxxx-…`; a TOTP code is six digits. */
const TOTP_CODE = /^\d{6}$/;

export const signInPages: FastifyPluginAsync<PageDeps> = async (app, deps) => {
  const { config, redirects } = deps;
  const mfaCookieOptions = {
    httpOnly: true,
    sameSite: "strict" as const,
    secure: config.secureCookies,
    path: "/login",
  };

  /** `?redirectTo=` (or the hidden field) if a page may go there, else undefined. */
  const redirectTarget = (value: string | undefined) =>
    redirects.allowed(value) === null ? undefined : value;

  function finishSignIn(reply: FastifyReply, signedIn: SignedIn, redirectTo: string | undefined) {
    if (!("cookie" in signedIn)) throw new Error("a page sign-in must open a cookie session");
    reply.clearCookie(MFA_COOKIE, mfaCookieOptions);
    setSessionCookie(reply, signedIn.cookie, config.secureCookies);
    return seeOther(reply, redirects.afterSignIn(redirectTo));
  }

  const providers = config.oauthProviders.map((provider) => ({
    id: provider.id,
    name: providerDisplayName(provider.id),
  }));

  function renderLogin(
    request: FastifyRequest,
    reply: FastifyReply,
    view: { email?: string; rememberMe?: boolean; error?: string; notice?: string },
    status = 200,
  ) {
    const query = request.query as Record<string, string | undefined>;
    const redirectTo = redirectTarget(query.redirectTo ?? textField(formBody(request), "redirectTo"));
    return sendPage(
      reply,
      <LoginPage ctx={pageContext(request)} providers={providers} redirectTo={redirectTo} {...view} />,
      status,
    );
  }

  app.get("/login", { schema: { hide: true } }, async (request, reply) => {
    const ctx = pageContext(request);
    const query = request.query as Record<string, string | undefined>;
    if (ctx.signedIn !== null) return seeOther(reply, redirects.afterSignIn(query.redirectTo));
    const { t } = ctx;
    const socialError =
      query.error === undefined
        ? undefined
        : query.error === "account_exists"
          ? t.signIn.accountExists
          : t.signIn.socialError;
    return renderLogin(request, reply, {
      ...(socialError === undefined ? {} : { error: socialError }),
      ...(query.signedOut === "1" ? { notice: t.signIn.signedOut } : {}),
    });
  });

  app.post("/login", { schema: { hide: true } }, async (request, reply) => {
    const { t } = pageContext(request);
    const form = formBody(request);
    const email = textField(form, "email") ?? "";
    const rememberMe = form.rememberMe === "on";
    const redirectTo = redirectTarget(textField(form, "redirectTo"));
    const outcome = await deps.login.login(
      { email, password: rawField(form, "password") ?? "", rememberMe, transport: "cookie" },
      clientContext(request),
    );
    deps.metrics.logins.inc({
      outcome: !outcome.ok ? outcome.code : "mfaRequired" in outcome ? "mfa_required" : "succeeded",
    });
    if (!outcome.ok) {
      const error =
        outcome.code === "rate_limited"
          ? rateLimitedMessage(t, outcome.retryAfterSeconds)
          : errorMessage(t, outcome.code);
      if (outcome.code === "rate_limited") reply.header("retry-after", String(outcome.retryAfterSeconds));
      const status =
        outcome.code === "rate_limited" ? 429 : outcome.code === "invalid_credentials" ? 401 : 403;
      return renderLogin(request, reply, { email, rememberMe, error }, status);
    }
    if ("mfaRequired" in outcome) {
      reply.setCookie(MFA_COOKIE, mfaCookieValue(outcome.mfaToken, outcome.methods), {
        ...mfaCookieOptions,
        maxAge: MFA_COOKIE_SECONDS,
      });
      const next = redirectTo === undefined ? "" : `?redirectTo=${encodeURIComponent(redirectTo)}`;
      return seeOther(reply, `/login/mfa${next}`);
    }
    return finishSignIn(reply, outcome, redirectTo);
  });

  function renderMfa(request: FastifyRequest, reply: FastifyReply, error: string | undefined, status = 200) {
    const pending = readMfaCookie(request.cookies[MFA_COOKIE]);
    const query = request.query as Record<string, string | undefined>;
    const redirectTo = redirectTarget(query.redirectTo ?? textField(formBody(request), "redirectTo"));
    return sendPage(
      reply,
      <MfaPage
        ctx={pageContext(request)}
        redirectTo={redirectTo}
        hasPasskey={pending?.methods.includes("webauthn") ?? false}
        error={error}
      />,
      status,
    );
  }

  app.get("/login/mfa", { schema: { hide: true } }, async (request, reply) => {
    if (readMfaCookie(request.cookies[MFA_COOKIE]) === null) return seeOther(reply, "/login");
    return renderMfa(request, reply, undefined);
  });

  app.post("/login/mfa", { schema: { hide: true } }, async (request, reply) => {
    const { t } = pageContext(request);
    const pending = readMfaCookie(request.cookies[MFA_COOKIE]);
    if (pending === null) {
      return renderLogin(request, reply, { error: t.errors.invalid_mfa_token }, 401);
    }
    const form = formBody(request);
    const code = (textField(form, "code") ?? "").replace(/\s+/g, "");
    const proof = TOTP_CODE.test(code) ? { code } : { backupCode: code };
    const outcome = await deps.mfaLogin.complete({ mfaToken: pending.token, proof }, clientContext(request));
    if (outcome.ok) return finishSignIn(reply, outcome, redirectTarget(textField(form, "redirectTo")));
    if (outcome.code === "invalid_mfa_token") {
      reply.clearCookie(MFA_COOKIE, mfaCookieOptions);
      return renderLogin(request, reply, { error: t.errors.invalid_mfa_token }, 401);
    }
    if (outcome.code === "rate_limited") {
      reply.header("retry-after", String(outcome.retryAfterSeconds));
      return renderMfa(request, reply, rateLimitedMessage(t, outcome.retryAfterSeconds), 429);
    }
    return renderMfa(request, reply, errorMessage(t, outcome.code), 401);
  });

  app.post("/logout", { schema: { hide: true } }, async (request, reply) => {
    const { signedIn } = pageContext(request);
    if (signedIn !== null) {
      await deps.sessions.revokeSession(
        signedIn.user.id,
        signedIn.sessionId,
        "logout",
        clientContext(request),
      );
    }
    clearSessionCookie(reply, config.secureCookies);
    return seeOther(reply, "/login?signedOut=1");
  });
};

const KNOWN_PROVIDER_NAMES: Record<string, string> = { google: "Google", github: "GitHub" };

/** `google` → "Google"; any other id as written, capitalised (`testidp` → "Testidp"). */
export function providerDisplayName(id: string): string {
  return KNOWN_PROVIDER_NAMES[id] ?? `${id.charAt(0).toUpperCase()}${id.slice(1)}`;
}

/** The mfaToken and the methods the account has (to offer "Use a passkey"); the token is the secret. */
function mfaCookieValue(token: string, methods: MfaMethod[]): string {
  return `${token}~${methods.join(",")}`;
}

function readMfaCookie(value: string | undefined): { token: string; methods: string[] } | null {
  if (value === undefined) return null;
  const [token = "", methods = ""] = value.split("~");
  return token === "" ? null : { token, methods: methods.split(",") };
}
