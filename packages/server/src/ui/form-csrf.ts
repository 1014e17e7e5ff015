/**
 * CSRF defence for the pages' forms (OWASP CSRF cheat sheet: synchronizer token, plus Fetch
 * Metadata and Origin checks). Every form carries `_csrf`, a token of `CsrfTokens` (HMAC-bound,
 * no server state):
 *  - signed in, bound to the session id — the same token the JSON API accepts in `X-CSRF-Token`,
 *    so a page's script may call the API with it;
 *  - signed out (sign-in, sign-up, recovery), bound to a random `pc_form` cookie (HttpOnly,
 *    `__Host-` when cookies are secure, so a sibling subdomain cannot plant one), which stops
 *    login CSRF.
 * A POST without a valid token, from another site, or with a foreign `Origin` is refused.
 */
import { randomBytes } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { CsrfTokens } from "../domain/sessions/csrf-token.js";

export const CSRF_FIELD = "_csrf";
const FORM_COOKIE_BYTES = 18;

export function formCookieName(secureCookies: boolean): string {
  return secureCookies ? "__Host-pc_form" : "pc_form";
}

export interface FormCsrfOptions {
  tokens: CsrfTokens;
  secureCookies: boolean;
  /** The public URL's origin. */
  origin: string;
}

export interface FormCsrf {
  /** A token for this request's forms; sets the `pc_form` cookie for a signed-out visitor that has none. */
  issue(request: FastifyRequest, reply: FastifyReply, sessionId: string | null): string;
  /** Whether a state-changing request may go on. */
  verify(request: FastifyRequest, sessionId: string | null, token: string | undefined): boolean;
}

const binding = (formCookie: string) => `form:${formCookie}`;

export function createFormCsrf(options: FormCsrfOptions): FormCsrf {
  const cookieName = formCookieName(options.secureCookies);
  const formCookie = (request: FastifyRequest) => {
    const value = request.cookies[cookieName];
    return value !== undefined && /^[A-Za-z0-9_-]{24}$/.test(value) ? value : undefined;
  };
  return {
    issue(request, reply, sessionId) {
      if (sessionId !== null) return options.tokens.issue(sessionId);
      let cookie = formCookie(request);
      if (cookie === undefined) {
        cookie = randomBytes(FORM_COOKIE_BYTES).toString("base64url");
        // Remembered for the next render of this request's forms (a page may render twice on error).
        request.cookies[cookieName] = cookie;
        reply.setCookie(cookieName, cookie, {
          httpOnly: true,
          sameSite: "lax",
          secure: options.secureCookies,
          path: "/",
        });
      }
      return options.tokens.issue(binding(cookie));
    },
    verify(request, sessionId, token) {
      if (request.headers["sec-fetch-site"] === "cross-site") return false;
      const origin = request.headers.origin;
      if (origin !== undefined && origin !== options.origin) return false;
      if (token === undefined) return false;
      if (sessionId !== null) return options.tokens.verify(token, sessionId);
      const cookie = formCookie(request);
      return cookie !== undefined && options.tokens.verify(token, binding(cookie));
    },
  };
}
