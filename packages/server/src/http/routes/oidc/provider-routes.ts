/**
 * The OpenID provider's endpoints (oidc/openid-provider.ts), handed to `oidc-provider` as they
 * arrive: discovery, authorize, token, PAR, introspection, revocation, end session. Request
 * bodies are left unread for it (no parser in this scope). Before handing over, the Portcullis
 * cookie session is resolved, so the provider's session follows it.
 *
 * Userinfo is served here rather than by `oidc-provider`, which cannot read its own JWT access
 * tokens there: the token is verified like any Portcullis token (signature, `iss`, `aud`,
 * revocation of its grant), must come from a client and carry `openid`, and the claims its
 * scopes release are read from the user as they are now. For the same reason, introspection and
 * revocation of a JWT access token are answered here (oidc/jwt-token-requests.ts); any other
 * token goes on to the provider with the body it was sent.
 */
import type { IncomingMessage } from "node:http";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { EphemeralStore } from "../../../domain/ephemeral/ephemeral-store.js";
import type { SessionService } from "../../../domain/sessions/session-service.js";
import type { UserService } from "../../../domain/users/user-service.js";
import { verifyDpopProof } from "../../../oidc/dpop-proof.js";
import { isJwt, type JwtTokenRequests } from "../../../oidc/jwt-token-requests.js";
import {
  attachBrowserSession,
  type BrowserSession,
  type OpenIdProvider,
  PROVIDER_PATH_PREFIX,
  PROVIDER_ROUTES,
  userClaims,
} from "../../../oidc/openid-provider.js";
import { clientContext } from "../../client-context.js";
import { readSessionCookie } from "../../session-cookie.js";

export interface ProviderRoutesOptions {
  provider: OpenIdProvider;
  jwtTokenRequests: JwtTokenRequests;
  sessions: SessionService;
  users: UserService;
  secureCookies: boolean;
  /** DPoP proofs' `jti`s, remembered while a replay could pass (shared by every instance). */
  ephemeral: EphemeralStore;
  publicUrl: string;
}

/** What `oidc-provider` accepts as a body. */
const PROVIDER_BODY_LIMIT = 56 * 1024;

/**
 * The request as the provider must see it: the same message, with a body that can be read once
 * more (the provider reads `req` as a stream, and checks that it is still readable).
 */
function replayBody(raw: IncomingMessage, body: Buffer): IncomingMessage {
  return Object.create(raw, {
    readable: { value: true },
    readableEncoding: { value: null },
    iterator: {
      value: async function* replay() {
        if (body.length > 0) yield body;
      },
    },
  }) as IncomingMessage;
}

/** `Bearer <token>` or, for a DPoP-bound token, `DPoP <token>` (RFC 9449 §7.1). */
const AUTHORIZATION = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*) *$/i;
/** Headers Fastify's hooks would add, set by hand: the provider answers on the raw response. */
const PROVIDER_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  // `script-src` is there for the provider to add the hash of its one inline script (the form
  // that posts a response or a logout on); nothing else runs.
  "content-security-policy": "default-src 'none'; script-src 'self'; base-uri 'none'; frame-ancestors 'none'",
  "referrer-policy": "no-referrer",
};

export const providerRoutes: FastifyPluginAsync<ProviderRoutesOptions> = async (app, options) => {
  const { provider, sessions, users, secureCookies, jwtTokenRequests, ephemeral, publicUrl } = options;

  async function browserSession(request: FastifyRequest): Promise<BrowserSession | null> {
    const cookie = readSessionCookie(request, secureCookies);
    if (cookie === undefined) return null;
    const found = await sessions.authenticateSessionCookie(cookie, clientContext(request));
    if (found === null) return null;
    const { session } = found;
    return { sessionId: session.id, userId: session.userId, authTime: session.authTime, amr: session.amr };
  }

  async function handOver(request: FastifyRequest, reply: FastifyReply, raw: IncomingMessage = request.raw) {
    attachBrowserSession(raw, await browserSession(request));
    reply.hijack();
    for (const [name, value] of Object.entries(PROVIDER_HEADERS)) reply.raw.setHeader(name, value);
    provider.handle(raw, reply.raw);
  }

  /** Introspection or revocation: a JWT access token is answered here, anything else by the provider. */
  function tokenRequest(answer: "introspect" | "revoke") {
    return async (request: FastifyRequest, reply: FastifyReply) => {
      const body = request.body instanceof Buffer ? request.body : Buffer.alloc(0);
      const params = Object.fromEntries(new URLSearchParams(body.toString("utf8")));
      const form = /^application\/x-www-form-urlencoded\b/i.test(request.headers["content-type"] ?? "");
      if (!form || !isJwt(params.token ?? "")) return handOver(request, reply, replayBody(request.raw, body));
      const result = await jwtTokenRequests[answer](request.headers.authorization, params);
      if ("challenge" in result && result.challenge !== undefined)
        reply.header("www-authenticate", result.challenge);
      return reply.code(result.status).header("cache-control", "no-store").send(result.body);
    };
  }

  await app.register(async (scope) => {
    // The provider reads (and limits) bodies itself.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_request, _payload, done) => done(null, undefined));
    const hide = { schema: { hide: true } };
    scope.get("/.well-known/openid-configuration", hide, (request, reply) => handOver(request, reply));
    scope.all(`${PROVIDER_PATH_PREFIX}*`, hide, (request, reply) => handOver(request, reply));
  });

  await app.register(async (scope) => {
    // Read here (the provider's own limit), then replayed to the provider when the token is not ours.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      "*",
      { parseAs: "buffer", bodyLimit: PROVIDER_BODY_LIMIT },
      (_request, body, done) => done(null, body),
    );
    const hide = { schema: { hide: true } };
    scope.post(PROVIDER_ROUTES.introspection, hide, tokenRequest("introspect"));
    scope.post(PROVIDER_ROUTES.revocation, hide, tokenRequest("revoke"));
  });

  const refuse = (reply: FastifyReply, scheme: "Bearer" | "DPoP") =>
    reply
      .code(401)
      .header("www-authenticate", `${scheme} error="invalid_token"`)
      .send({ error: "invalid_token", error_description: "invalid access token" });

  app.route({
    method: ["GET", "POST"],
    url: PROVIDER_ROUTES.userinfo,
    schema: { hide: true },
    handler: async (request, reply) => {
      const presented = AUTHORIZATION.exec(request.headers.authorization ?? "");
      const scheme = presented?.[1]?.toLowerCase() === "dpop" ? "DPoP" : "Bearer";
      const token = presented?.[2];
      const claims = token === undefined ? null : await sessions.authenticateAccessToken(token);
      const scopes = new Set((claims?.scope ?? "").split(" "));
      if (token === undefined || claims === null || claims.client_id === undefined || !scopes.has("openid"))
        return refuse(reply, scheme);
      // A DPoP-bound token only with a proof of its key; an unbound one only as a bearer token.
      const proof = request.headers.dpop;
      const jkt = claims.cnf?.jkt;
      if ((jkt === undefined) !== (scheme === "Bearer")) return refuse(reply, scheme);
      if (
        jkt !== undefined &&
        (typeof proof !== "string" ||
          !(await verifyDpopProof({
            proof,
            method: request.method,
            url: `${publicUrl}${PROVIDER_ROUTES.userinfo}`,
            accessToken: token,
            jkt,
            nowMs: Date.now(),
            firstUse: (jti, ttlMs) => ephemeral.putIfAbsent(`dpop:${jti}`, "1", ttlMs),
          })))
      )
        return refuse(reply, "DPoP");
      const user = await users.getUser(claims.sub);
      if (user === undefined || user.disabledAt !== null) return refuse(reply, scheme);
      return userClaims(user, scopes);
    },
  });
};
