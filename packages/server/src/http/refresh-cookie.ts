/**
 * The refresh token's cookie of API.md "Token response": `pc_refresh`, HttpOnly, SameSite=Strict,
 * Path=/v1/auth (only the refresh and logout endpoints ever see it), Secure when cookies are
 * secure. Every answer that hands out a token response sets it.
 */
import type { FastifyReply } from "fastify";
import type { TokenGrant } from "../domain/sessions/session-service.js";

export const REFRESH_COOKIE = "pc_refresh";
const REFRESH_COOKIE_PATH = "/v1/auth";

export function setRefreshCookie(reply: FastifyReply, grant: TokenGrant, secureCookies: boolean): void {
  reply.setCookie(REFRESH_COOKIE, grant.refreshToken, {
    httpOnly: true,
    sameSite: "strict",
    secure: secureCookies,
    path: REFRESH_COOKIE_PATH,
    maxAge: grant.refreshExpiresIn,
  });
}

export function clearRefreshCookie(reply: FastifyReply, secureCookies: boolean): void {
  reply.clearCookie(REFRESH_COOKIE, {
    httpOnly: true,
    sameSite: "strict",
    secure: secureCookies,
    path: REFRESH_COOKIE_PATH,
  });
}
