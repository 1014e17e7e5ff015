/**
 * /v1/oauth/:provider/{start,callback}: social login (API.md "Social login"). Thin: parse, call
 * the social-login service, map its outcome to a redirect, a cookie or a problem. Failures after
 * the flow is known redirect to its `redirectTo` with `?error=<code>`; before (no or unknown
 * `state`) they answer `400 invalid_state`; never a 5xx. Tokens never travel in a URL: the
 * callback hands a one-time `code` for POST /v1/auth/exchange, or sets the session cookie.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { oauthCallbackUrl } from "../../../domain/oauth/providers.js";
import { withQuery } from "../../../domain/oauth/redirect-allowlist.js";
import { clientContext } from "../../client-context.js";
import type { HttpDeps } from "../../http-deps.js";
import { limitPerClientAddress } from "../../plugins/rate-limit.js";
import { ProblemError } from "../../problem.js";
import { setSessionCookie } from "../../session-cookie.js";
import { requireRecentAuthentication } from "../../step-up.js";
import { readBrowserBinding, setBrowserBinding } from "./browser-binding-cookie.js";
import { CallbackSchema, StartSchema } from "./oauth.schema.js";

export const oauthRoutes: FastifyPluginAsyncTypebox<HttpDeps> = async (app, deps) => {
  const { config, socialLogin } = deps;
  const limit = limitPerClientAddress(deps.publicEndpointLimiter, "oauth");
  const requireProvider = (provider: string) => {
    if (!socialLogin.providerIds.includes(provider)) throw new ProblemError("not_found");
  };

  app.get("/v1/oauth/:provider/start", { schema: StartSchema, onRequest: limit }, async (request, reply) => {
    const { provider } = request.params;
    const { redirectTo, transport = "token", link } = request.query;
    requireProvider(provider);
    let linkUserId: string | null = null;
    let answerWithJson = false;
    if (link !== undefined) {
      // Linking adds a way into the account, so it needs a signed-in caller whose sign-in is
      // recent (step-up), as a password change does. A navigation carries the cookie; a bearer
      // token gets JSON.
      await app.authenticate(request);
      const auth = requireRecentAuthentication(request, deps.stepUp);
      linkUserId = auth.userId;
      answerWithJson = auth.credential !== "cookie";
    }
    const outcome = await socialLogin.start({
      provider,
      redirectTo,
      transport,
      linkUserId,
      browserBinding: readBrowserBinding(request, config.secureCookies),
    });
    if (!outcome.ok) {
      if (outcome.code !== "provider_unavailable") throw new ProblemError(outcome.code);
      request.log.warn({ provider, reason: outcome.reason }, "social login provider unavailable");
      if (answerWithJson) throw new ProblemError("provider_unavailable", { headers: { "retry-after": "5" } });
      return reply.redirect(withQuery(outcome.redirectTo, { error: "provider_unavailable" }), 302);
    }
    setBrowserBinding(reply, outcome.browserBinding, config.secureCookies);
    if (answerWithJson) return { authorizationUrl: outcome.authorizationUrl };
    return reply.redirect(outcome.authorizationUrl, 302);
  });

  app.get(
    "/v1/oauth/:provider/callback",
    { schema: CallbackSchema, onRequest: limit },
    async (request, reply) => {
      const { provider } = request.params;
      requireProvider(provider);
      // The URL the provider redirected to, on the configured public URL (never the Host header).
      const queryStart = request.url.indexOf("?");
      const query = queryStart === -1 ? "" : request.url.slice(queryStart);
      const outcome = await socialLogin.callback(
        {
          provider,
          callbackUrl: `${oauthCallbackUrl(config.publicUrl, provider)}${query}`,
          state: request.query.state,
          error: request.query.error,
          browserBinding: readBrowserBinding(request, config.secureCookies),
        },
        clientContext(request),
      );
      if (!outcome.ok) {
        if (outcome.code === "not_found") throw new ProblemError("not_found");
        request.log.warn({ provider, error: outcome.code, reason: outcome.reason }, "social login failed");
        // Without a known flow there is no allow-listed place to send the browser to.
        if (outcome.redirectTo === null) throw new ProblemError("invalid_state");
        return reply.redirect(withQuery(outcome.redirectTo, { error: outcome.code }), 302);
      }
      if ("signedIn" in outcome && "cookie" in outcome.signedIn) {
        setSessionCookie(reply, outcome.signedIn.cookie, config.secureCookies);
      }
      return reply.redirect(outcome.location, 302);
    },
  );
};
