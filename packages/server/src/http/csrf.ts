/**
 * CSRF defence for cookie-authenticated requests (API.md "Conventions"; security.md R8; OWASP
 * CSRF cheat sheet). A state-changing request (POST/PUT/PATCH/DELETE) authenticated by the
 * session cookie must
 *   1. not come from another site: `Sec-Fetch-Site: cross-site` is refused, and an `Origin`
 *      header, when sent, must be the public URL's origin (Fetch Metadata; OWASP "verifying
 *      origin with standard headers");
 *   2. carry `X-CSRF-Token` with a token of `GET /v1/auth/csrf` signed for this very session.
 * Either failure is `403 csrf_failed`. Bearer and API-key requests never get here: a browser does
 * not attach those by itself. The token is also set as a cookie (`pc_csrf`, readable by the
 * page's scripts, SameSite=Strict) so a page can pick it up and echo it.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { CsrfTokens } from "../domain/sessions/csrf-token.js";
import { ProblemError } from "./problem.js";

export const CSRF_HEADER = "x-csrf-token";
const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export function csrfCookieName(secureCookies: boolean): string {
  return secureCookies ? "__Host-pc_csrf" : "pc_csrf";
}

export function setCsrfCookie(reply: FastifyReply, token: string, secureCookies: boolean): void {
  // Not HttpOnly on purpose: the page reads it to send it back in the header (double submit).
  reply.setCookie(csrfCookieName(secureCookies), token, {
    httpOnly: false,
    sameSite: "strict",
    secure: secureCookies,
    path: "/",
  });
}

export interface CsrfGuardOptions {
  tokens: CsrfTokens;
  /** The public URL's origin, e.g. `https://auth.example.com`. */
  origin: string;
}

/** Throws `csrf_failed` unless a cookie-authenticated request for `sessionId` may change state. */
export function checkCsrf(request: FastifyRequest, sessionId: string, options: CsrfGuardOptions): void {
  if (!UNSAFE_METHODS.has(request.method)) return;
  if (request.headers["sec-fetch-site"] === "cross-site") {
    throw new ProblemError("csrf_failed", { detail: "Cross-site requests may not change state." });
  }
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== options.origin) {
    throw new ProblemError("csrf_failed", { detail: "The request's Origin is not this server's." });
  }
  const token = request.headers[CSRF_HEADER];
  if (typeof token !== "string" || !options.tokens.verify(token, sessionId)) {
    throw new ProblemError("csrf_failed", {
      detail: "Send X-CSRF-Token with a token from GET /v1/auth/csrf for this session.",
    });
  }
}
