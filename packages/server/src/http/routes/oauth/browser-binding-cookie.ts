/**
 * The cookie that binds a social-login flow to the browser that started it (API.md "Social
 * login"; RFC 9700 §4.7): `pc_oauth`, or `__Host-pc_oauth` when cookies are secure. HttpOnly;
 * SameSite=Lax, because the provider's redirect back is a cross-site top-level GET navigation,
 * which Lax cookies accompany (Strict ones do not); ten minutes, the life of a flow. Its value
 * is random and the server keeps only its SHA-256 with each flow it started.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { PENDING_AUTHORIZATION_TTL_MS } from "../../../domain/oauth/pending-authorizations.js";

const cookieName = (secureCookies: boolean) => (secureCookies ? "__Host-pc_oauth" : "pc_oauth");

export function readBrowserBinding(request: FastifyRequest, secureCookies: boolean): string | undefined {
  return request.cookies[cookieName(secureCookies)];
}

export function setBrowserBinding(reply: FastifyReply, value: string, secureCookies: boolean): void {
  reply.setCookie(cookieName(secureCookies), value, {
    httpOnly: true,
    sameSite: "lax",
    secure: secureCookies,
    path: "/",
    maxAge: PENDING_AUTHORIZATION_TTL_MS / 1000,
  });
}
