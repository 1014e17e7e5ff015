/**
 * The session cookie of API.md "Conventions": `pc_session`, or `__Host-pc_session` when cookies
 * are secure (the `__Host-` prefix makes the browser insist on Secure, Path=/ and no Domain, so
 * a sibling subdomain cannot plant or overwrite it; RFC 6265bis §4.1.3.2). HttpOnly keeps it
 * from scripts, SameSite=Lax from most cross-site requests (the CSRF token does the rest).
 * Without remember-me it is a browser-session cookie; the server enforces idle and absolute
 * expiry either way.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { CookieGrant } from "../domain/sessions/session-service.js";

export const SESSION_COOKIE = "pc_session";
export const SECURE_SESSION_COOKIE = "__Host-pc_session";

export function sessionCookieName(secureCookies: boolean): string {
  return secureCookies ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
}

/** The session cookie the request carries, if any. */
export function readSessionCookie(request: FastifyRequest, secureCookies: boolean): string | undefined {
  const value = request.cookies[sessionCookieName(secureCookies)];
  return value === undefined || value === "" ? undefined : value;
}

export function setSessionCookie(reply: FastifyReply, grant: CookieGrant, secureCookies: boolean): void {
  reply.setCookie(sessionCookieName(secureCookies), grant.cookieValue, {
    httpOnly: true,
    sameSite: "lax",
    secure: secureCookies,
    path: "/",
    ...(grant.session.rememberMe ? { maxAge: grant.expiresIn } : {}),
  });
}

export function clearSessionCookie(reply: FastifyReply, secureCookies: boolean): void {
  reply.clearCookie(sessionCookieName(secureCookies), {
    httpOnly: true,
    sameSite: "lax",
    secure: secureCookies,
    path: "/",
  });
}
