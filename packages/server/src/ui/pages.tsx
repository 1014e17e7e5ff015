/**
 * The pages for people (API.md "Pages for people"): server-rendered HTML on the cookie session,
 * a thin adapter over the same domain services as the JSON API. This plugin is their shared
 * frame, encapsulated so none of it leaks onto the API:
 *  - form bodies (`application/x-www-form-urlencoded`, 16 KiB) are accepted here only;
 *  - a strict CSP: scripts, styles and images from this origin only, no inline script, forms
 *    only to this origin and the redirect allow-list, no framing;
 *  - the person's session (cookie), locale and CSRF token are resolved once per request, and
 *    every POST must carry a valid `_csrf` (else a 403 page);
 *  - errors become pages in words, never JSON, a code or a stack.
 * Like every answer of the API, pages are `Cache-Control: no-store` (http/plugins/security-headers.ts):
 * they show people's data and secrets shown once; only `/assets/` are cached.
 * Each area (sign-in, sign-up, recovery, account, admin) is its own plugin below.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { PlaceLookup } from "../domain/places/place-lookup.js";
import { clientContext } from "../http/client-context.js";
import type { HttpDeps } from "../http/http-deps.js";
import { BODY_LIMIT_BYTES } from "../http/plugins/json-body.js";
import { PROBLEMS, ProblemError } from "../http/problem.js";
import { readSessionCookie } from "../http/session-cookie.js";
import { accountPages } from "./account/account-pages.js";
import { adminPages } from "./admin/admin-pages.js";
import { loadPageAssets } from "./assets/page-assets.js";
import { ErrorPage } from "./components/error-page.js";
import { interactionPages, type OpenIdPageDeps } from "./consent/interaction-pages.js";
import { CSRF_FIELD, createFormCsrf } from "./form-csrf.js";
import { LANGUAGE_COOKIE, loadCatalogue } from "./i18n/catalogue.js";
import type { PageDeps, PageSession } from "./page-context.js";
import { recoveryPages } from "./recovery/recovery-pages.js";
import { createRedirectTargets } from "./redirect-target.js";
import { formBody, pageContext, rateLimitedMessage, seeOther, sendPage, textField } from "./render.js";
import { signInPages } from "./sign-in/sign-in-pages.js";
import { signUpPages } from "./sign-up/sign-up-pages.js";

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);
const YEAR_SECONDS = 365 * 24 * 3600;

export interface PagesOptions {
  /** Whether an error means the database is unreachable (a 503 page rather than a 500). */
  isDependencyDown: (error: unknown) => boolean;
  /** Where addresses are (PORTCULLIS_GEOIP_CSV), for the device list and security events. */
  places: PlaceLookup;
  /** The OpenID provider's sign-in and consent steps; absent when the provider is off. */
  openId?: OpenIdPageDeps | undefined;
}

/** `/interaction/<uid>` itself, or a sign-in page on its way back there (`?redirectTo=`). */
const INTERACTION_PATH = /^\/interaction\/([A-Za-z0-9_-]{1,64})(?:[/?]|$)/;

function interactionUid(request: FastifyRequest): string | undefined {
  const direct = INTERACTION_PATH.exec(request.url)?.[1];
  if (direct !== undefined) return direct;
  const query = request.query as Record<string, unknown> | undefined;
  const body = request.body as Record<string, unknown> | undefined;
  const target = query?.redirectTo ?? body?.redirectTo;
  return typeof target === "string" ? INTERACTION_PATH.exec(target)?.[1] : undefined;
}

/** `a=1&b=2` → a null-prototype record of the first value of each name. */
export function parseForm(text: string): Record<string, string> {
  const form = Object.create(null) as Record<string, string>;
  for (const [name, value] of new URLSearchParams(text)) {
    if (!FORBIDDEN_KEYS.has(name) && !(name in form)) form[name] = value;
  }
  return form;
}

export const pages: FastifyPluginAsync<HttpDeps & PagesOptions> = async (app, options) => {
  const { config, isDependencyDown, places, openId, ...httpDeps } = options;
  const catalogue = await loadCatalogue(config.ui.overridesDir ?? null);
  const assets = loadPageAssets(config.ui);
  const redirects = createRedirectTargets(config.publicUrl, config.redirectAllowlist);
  const publicOrigin = new URL(config.publicUrl).origin;
  const formCsrf = createFormCsrf({
    tokens: httpDeps.csrf,
    secureCookies: config.secureCookies,
    origin: publicOrigin,
  });
  /**
   * Form targets include where a form's redirects end up: the redirect allow-list and, while an
   * OpenID client's sign-in is under way, that client's redirect URI (browsers apply
   * `form-action` to every redirect that follows a form post).
   */
  const policyWithFormOrigins = (extraOrigins: readonly string[]) =>
    [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "connect-src 'self'",
      `form-action ${[...new Set([...redirects.formOrigins, ...extraOrigins])].map((origin) => (origin === publicOrigin ? "'self'" : origin)).join(" ")}`,
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ].join("; ");
  const contentSecurityPolicy = policyWithFormOrigins([]);

  app.decorateRequest("page", null);
  app.addContentTypeParser(
    "application/x-www-form-urlencoded",
    { parseAs: "string", bodyLimit: BODY_LIMIT_BYTES },
    (_request, body, done) => done(null, parseForm(body as string)),
  );
  assets.register(app);

  async function signedInPerson(request: FastifyRequest): Promise<PageSession | null> {
    const cookie = readSessionCookie(request, config.secureCookies);
    if (cookie === undefined) return null;
    const found = await httpDeps.sessions.authenticateSessionCookie(cookie, clientContext(request));
    if (found === null) return null;
    const user = await httpDeps.users.getUser(found.session.userId);
    if (user === undefined) return null;
    return {
      user,
      sessionId: found.session.id,
      authTime: found.session.authTime,
      amr: found.session.amr,
      roles: found.roles,
    };
  }

  app.addHook("onRequest", async (request, reply) => {
    if (request.url.startsWith("/assets/")) return;
    // Not `no-referrer` (the API's): with it a browser sends `Origin: null` on form posts, and the
    // CSRF check needs the real one. `same-origin` still tells other sites nothing (no token in a Referer).
    reply.header("content-security-policy", contentSecurityPolicy).header("referrer-policy", "same-origin");
  });

  app.addHook("preHandler", async (request, reply) => {
    if (request.url.startsWith("/assets/")) return;
    const signedIn = await signedInPerson(request);
    const locale = catalogue.negotiate(
      request.cookies[LANGUAGE_COOKIE],
      typeof request.headers["accept-language"] === "string" ? request.headers["accept-language"] : undefined,
    );
    reply.header("content-language", locale.code).header("vary", "cookie, accept-language");
    request.page = {
      t: locale.messages,
      locale,
      locales: catalogue.locales,
      productName: config.ui.productName,
      publicUrl: config.publicUrl,
      logoUrl: assets.logoUrl,
      assets,
      csrfToken: "",
      signedIn,
      path: request.url,
    };
    if (request.method === "POST") {
      const token = formBody(request)[CSRF_FIELD];
      if (!formCsrf.verify(request, signedIn?.sessionId ?? null, token)) {
        request.page.csrfToken = formCsrf.issue(request, reply, signedIn?.sessionId ?? null);
        throw new ProblemError("csrf_failed");
      }
    }
    request.page.csrfToken = formCsrf.issue(request, reply, signedIn?.sessionId ?? null);
    const uid = openId === undefined ? undefined : interactionUid(request);
    if (openId !== undefined && uid !== undefined) {
      const interaction = await openId.provider.current().Interaction.find(uid);
      const redirectUri = interaction?.params.redirect_uri;
      // A native app's private-use scheme has no origin to name (and no browser to protect).
      const origin =
        typeof redirectUri === "string" && URL.canParse(redirectUri) ? new URL(redirectUri).origin : "null";
      if (origin !== "null") reply.header("content-security-policy", policyWithFormOrigins([origin]));
    }
  });

  app.setErrorHandler(async (error: unknown, request, reply: FastifyReply) => {
    const code =
      error instanceof ProblemError
        ? error.code
        : isDependencyDown(error)
          ? "service_unavailable"
          : (error as { statusCode?: number }).statusCode === 413
            ? "payload_too_large"
            : (error as { statusCode?: number }).statusCode === 415
              ? "unsupported_media_type"
              : "internal_error";
    if (code === "internal_error") request.log.error({ err: error }, "page failed");
    const status = error instanceof ProblemError ? error.status : PROBLEMS[code].status;
    if (error instanceof ProblemError) {
      for (const [name, value] of Object.entries(error.options.headers ?? {})) reply.header(name, value);
    }
    if (status === 503) reply.header("retry-after", "1");
    if (request.page === null) {
      // Failed before the page context existed (e.g. the body): the fallback locale, signed out.
      const locale = catalogue.fallback;
      request.page = {
        t: locale.messages,
        locale,
        locales: catalogue.locales,
        productName: config.ui.productName,
        publicUrl: config.publicUrl,
        logoUrl: assets.logoUrl,
        assets,
        csrfToken: formCsrf.issue(request, reply, null),
        signedIn: null,
        path: "/",
      };
    }
    const ctx = pageContext(request);
    const { t } = ctx;
    const retryAfter = Number(reply.getHeader("retry-after"));
    const message =
      code === "rate_limited" && retryAfter > 0 ? rateLimitedMessage(t, retryAfter) : t.errors[code];
    const title =
      status === 403
        ? t.common.forbiddenTitle
        : status === 404
          ? t.common.notFoundTitle
          : t.common.errorTitle;
    return sendPage(reply, <ErrorPage ctx={ctx} title={title} message={message} />, status);
  });

  // The language switcher: remembered for a year, then back to the page it was used on.
  app.post("/language", { schema: { hide: true } }, async (request, reply) => {
    const form = formBody(request);
    const locale = catalogue.find(textField(form, "lang") ?? "");
    if (locale !== undefined) {
      reply.setCookie(LANGUAGE_COOKIE, locale.code, {
        httpOnly: true,
        sameSite: "lax",
        secure: config.secureCookies,
        path: "/",
        maxAge: YEAR_SECONDS,
      });
    }
    const back = textField(form, "return");
    return seeOther(reply, back !== undefined && /^\/(?![/\\])/.test(back) ? back : "/login");
  });

  app.get("/", { schema: { hide: true } }, async (request, reply) =>
    seeOther(reply, pageContext(request).signedIn === null ? "/login" : "/account"),
  );

  const deps: PageDeps = { config, ...httpDeps, catalogue, assets, redirects, places, openId };
  await app.register(signInPages, deps);
  await app.register(signUpPages, deps);
  await app.register(recoveryPages, deps);
  await app.register(accountPages, deps);
  await app.register(adminPages, deps);
  if (openId !== undefined) await app.register(interactionPages, { ...deps, openId });
};
