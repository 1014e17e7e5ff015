/**
 * Sign-in (`/login`), the second factor (`/login/mfa`) and sign-out (`/logout`), on the cookie
 * transport. The same services as `POST /v1/auth/login` and `/v1/auth/mfa`: the page only
 * parses the form, calls one service and maps the outcome to a redirect or to the form again
 * with the error in words (the email kept, never the password).
 *
 * Between the two steps the mfaToken travels in an HttpOnly cookie scoped to `/login`, never in
 * a URL or a page. A passkey as the second factor therefore goes through page routes too: the
 * page's script asks `/login/mfa/passkey-options` for the ceremony's options (the server reads
 * the token from the cookie) and posts the assertion back to `/login/mfa` in a normal form.
 */
import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import { Value } from "@sinclair/typebox/value";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { SecondFactorProof } from "../../domain/mfa/mfa-login-service.js";
import type { MfaMethod } from "../../domain/mfa/mfa-store.js";
import { looksLikeTotpCode } from "../../domain/mfa/totp.js";
import type { SignedIn } from "../../domain/users/sign-in.js";
import { clientContext } from "../../http/client-context.js";
import { consumePerClientAddress } from "../../http/plugins/rate-limit.js";
import { AuthenticationCredentialSchema } from "../../http/routes/webauthn/webauthn.schema.js";
import { clearSessionCookie, setSessionCookie } from "../../http/session-cookie.js";
import type { Messages } from "../i18n/catalogue.js";
import type { PageDeps } from "../page-context.js";
import {
  errorMessage,
  type FormBody,
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
/**
 * An assertion's JSON is a few hundred bytes; the bound keeps parsing cheap before the shape is
 * checked (the form body as a whole is limited too).
 */
const MAX_ASSERTION_JSON_LENGTH = 8_192;

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
    const socialError = query.error === undefined ? undefined : socialErrorMessage(ctx.t, query.error);
    const { t } = ctx;
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

  /** The mfaToken is gone (expired, spent, too many wrong codes): back to the first step, in words. */
  function mfaTokenEnded(request: FastifyRequest, reply: FastifyReply) {
    reply.clearCookie(MFA_COOKIE, mfaCookieOptions);
    return renderLogin(request, reply, { error: pageContext(request).t.errors.invalid_mfa_token }, 401);
  }

  app.get("/login/mfa", { schema: { hide: true } }, async (request, reply) => {
    if (readMfaCookie(request.cookies[MFA_COOKIE]) === null) return seeOther(reply, "/login");
    return renderMfa(request, reply, undefined);
  });

  app.post("/login/mfa", { schema: { hide: true } }, async (request, reply) => {
    const { t } = pageContext(request);
    const pending = readMfaCookie(request.cookies[MFA_COOKIE]);
    if (pending === null) return mfaTokenEnded(request, reply);
    const form = formBody(request);
    const proof = secondFactorProof(form);
    if (proof === "missing") return renderMfa(request, reply, t.mfa.codeMissing, 400);
    if (proof === "malformed") return renderMfa(request, reply, t.errors.invalid_webauthn_response, 400);
    const outcome = await deps.mfaLogin.complete({ mfaToken: pending.token, proof }, clientContext(request));
    if (outcome.ok) return finishSignIn(reply, outcome, redirectTarget(textField(form, "redirectTo")));
    if (outcome.code === "invalid_mfa_token") return mfaTokenEnded(request, reply);
    if (outcome.code === "rate_limited") {
      reply.header("retry-after", String(outcome.retryAfterSeconds));
      return renderMfa(request, reply, rateLimitedMessage(t, outcome.retryAfterSeconds), 429);
    }
    const error = "webauthn" in proof ? t.errors.invalid_webauthn_response : errorMessage(t, outcome.code);
    return renderMfa(request, reply, error, 401);
  });

  // The options of a passkey ceremony for the pending sign-in, for the page's script (JSON, like
  // `POST /v1/webauthn/authentication/options` with an mfaToken, but the token stays in its
  // cookie). Failures answer `{ message }` in the person's words.
  app.post("/login/mfa/passkey-options", { schema: { hide: true } }, async (request, reply) => {
    const { t } = pageContext(request);
    reply.header("cache-control", "no-store");
    const wait = await consumePerClientAddress(deps.publicEndpointLimiter, "webauthn-options", request);
    if (wait > 0) {
      return reply
        .code(429)
        .header("retry-after", String(wait))
        .send({ message: rateLimitedMessage(t, wait) });
    }
    const pending = readMfaCookie(request.cookies[MFA_COOKIE]);
    const outcome =
      pending === null
        ? ({ ok: false, code: "invalid_mfa_token" } as const)
        : await deps.webauthn.authenticationOptions(pending.token);
    if (outcome.ok) return reply.send(outcome.options);
    if (outcome.code === "invalid_mfa_token") {
      reply.clearCookie(MFA_COOKIE, mfaCookieOptions);
      return reply.code(401).send({ message: t.errors.invalid_mfa_token });
    }
    return reply.code(409).send({ message: t.mfa.noPasskey });
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

/**
 * The second factor a `/login/mfa` form carries: the passkey assertion the page's script put in
 * `webauthn` (JSON, checked against the API's schema), else the code typed into "Code" — six
 * digits are a TOTP code, anything else a backup code.
 */
function secondFactorProof(form: FormBody): SecondFactorProof | "missing" | "malformed" {
  const assertion = rawField(form, "webauthn");
  if (assertion !== undefined) {
    if (assertion.length > MAX_ASSERTION_JSON_LENGTH) return "malformed";
    let parsed: unknown;
    try {
      parsed = JSON.parse(assertion);
    } catch {
      return "malformed";
    }
    if (!Value.Check(AuthenticationCredentialSchema, parsed)) return "malformed";
    return { webauthn: parsed as AuthenticationResponseJSON };
  }
  const code = (textField(form, "code") ?? "").replace(/\s+/g, "");
  if (code === "") return "missing";
  return looksLikeTotpCode(code) ? { code } : { backupCode: code };
}

/** A social sign-in came back with `?error=<code>`: what happened, in words (never the raw code). */
function socialErrorMessage(t: Messages, code: string): string {
  switch (code) {
    case "account_exists":
      return t.signIn.accountExists;
    case "access_denied":
      return t.signIn.socialCancelled;
    case "email_required":
      return t.signIn.socialEmailRequired;
    case "account_disabled":
    case "email_not_verified":
    case "provider_unavailable":
    case "invalid_state":
      return t.errors[code];
    default:
      return t.signIn.socialError;
  }
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
