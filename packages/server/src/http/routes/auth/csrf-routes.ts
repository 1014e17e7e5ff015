/**
 * GET /v1/auth/csrf: the signed double-submit token of cookie sessions (API.md "Conventions").
 * It is bound to the session of the request's cookie, so it is fetched after a cookie login;
 * a GET changes nothing and needs no token itself.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { clientContext } from "../../client-context.js";
import { setCsrfCookie } from "../../csrf.js";
import type { HttpDeps } from "../../http-deps.js";
import { readSessionCookie } from "../../session-cookie.js";
import { GetCsrfTokenSchema } from "./csrf.schema.js";

export const csrfRoutes: FastifyPluginAsyncTypebox<HttpDeps> = async (app, deps) => {
  const { secureCookies } = deps.config;

  app.get("/v1/auth/csrf", { schema: GetCsrfTokenSchema }, async (request, reply) => {
    const cookie = readSessionCookie(request, secureCookies);
    const session =
      cookie === undefined
        ? null
        : await deps.sessions.authenticateSessionCookie(cookie, clientContext(request));
    const csrfToken = deps.csrf.issue(session?.session.id ?? null);
    setCsrfCookie(reply, csrfToken, secureCookies);
    return { csrfToken };
  });
};
