/**
 * Introspection (RFC 7662) and revocation (RFC 7009) of the provider's JWT access tokens.
 * `oidc-provider` answers both only for the tokens it stores (refresh tokens); access tokens are
 * JWTs it does not keep, so Portcullis answers for them: it authenticates the client as the token
 * endpoint does, verifies the token like any resource server would (signature, issuer, one of
 * the resources as audience, the revocation set), and tells a client only about its own tokens.
 * Revoking an access token revokes its grant (RFC 7009 §2.1 allows it): the `sid` every copy of
 * it names, and the refresh tokens issued alongside.
 */

import { verifyClientSecret } from "../domain/oauth-clients/client-secret.js";
import type { OAuthClient } from "../domain/oauth-clients/oauth-client.js";
import type { AccessTokenClaims } from "../domain/tokens/access-token.js";

export interface JwtTokenRequestDeps {
  /** The realm of the `Basic` challenge (the issuer, as the provider names it). */
  issuer: string;
  findClientById(id: string): Promise<OAuthClient | null>;
  /** Verifies a provider access token for any resource (signature, `iss`, `aud`, times); null if not. */
  verify(token: string): AccessTokenClaims | null;
  isRevoked(claims: AccessTokenClaims): boolean;
  /** Revokes what a token's `sid` names: a grant, or one client-credentials token. */
  revoke(claims: AccessTokenClaims & { client_id: string }): Promise<void>;
}

export type JwtTokenAnswer =
  | { status: 200; body: Record<string, unknown> }
  | { status: 400 | 401; body: { error: string; error_description: string }; challenge?: string };

/** `a.b.c` whose first part is a JOSE header: a structured token, ours to answer for. */
export function isJwt(token: string): boolean {
  const parts = token.split(".");
  if (parts.length !== 3) return false;
  try {
    const header = JSON.parse(Buffer.from(parts[0] ?? "", "base64url").toString("utf8")) as unknown;
    return typeof header === "object" && header !== null && "alg" in header;
  } catch {
    return false;
  }
}

/** RFC 6749 §2.3.1: client id and secret are form-urlencoded inside the Basic credentials. */
function decodeBasic(header: string | undefined): { id: string; secret: string } | null | undefined {
  if (header === undefined) return undefined;
  const match = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header);
  if (match === null) return null;
  const decoded = Buffer.from(match[1] ?? "", "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return null;
  try {
    const plus = (text: string) => decodeURIComponent(text.replace(/\+/g, " "));
    return { id: plus(decoded.slice(0, colon)), secret: plus(decoded.slice(colon + 1)) };
  } catch {
    return null;
  }
}

export function createJwtTokenRequests(deps: JwtTokenRequestDeps) {
  const INVALID_CLIENT: JwtTokenAnswer = {
    status: 401,
    body: { error: "invalid_client", error_description: "client authentication failed" },
    challenge: `Basic realm="${deps.issuer}", error="invalid_client", error_description="client authentication failed"`,
  };

  async function authenticateClient(
    authorization: string | undefined,
    params: Record<string, string>,
  ): Promise<OAuthClient | null> {
    const basic = decodeBasic(authorization);
    if (basic === null) return null;
    const id = basic?.id ?? params.client_id;
    if (
      id === undefined ||
      (basic !== undefined && params.client_id !== undefined && params.client_id !== id)
    )
      return null;
    const client = await deps.findClientById(id);
    if (client === null) return null;
    if (client.type === "public")
      return basic === undefined && params.client_secret === undefined ? client : null;
    const secret = basic?.secret ?? params.client_secret;
    if (basic !== undefined && params.client_secret !== undefined) return null;
    return secret !== undefined && client.secretHash !== null && verifyClientSecret(secret, client.secretHash)
      ? client
      : null;
  }

  /** The token's claims when it is live and `client`'s own. */
  function ownLiveToken(client: OAuthClient, token: string) {
    const claims = deps.verify(token);
    if (claims === null || claims.client_id !== client.id || deps.isRevoked(claims)) return null;
    return claims as AccessTokenClaims & { client_id: string };
  }

  return {
    async introspect(
      authorization: string | undefined,
      params: Record<string, string>,
    ): Promise<JwtTokenAnswer> {
      const client = await authenticateClient(authorization, params);
      if (client === null) return INVALID_CLIENT;
      const claims = ownLiveToken(client, params.token ?? "");
      if (claims === null) return { status: 200, body: { active: false } };
      return {
        status: 200,
        body: {
          active: true,
          // RFC 9449 §6.2: a DPoP-bound token says so, with its key's thumbprint.
          token_type: claims.cnf === undefined ? "Bearer" : "DPoP",
          ...(claims.cnf === undefined ? {} : { cnf: claims.cnf }),
          client_id: claims.client_id,
          scope: claims.scope ?? "",
          sub: claims.sub,
          aud: claims.aud,
          iss: claims.iss,
          exp: claims.exp,
          iat: claims.iat,
          jti: claims.jti,
        },
      };
    },

    async revoke(authorization: string | undefined, params: Record<string, string>): Promise<JwtTokenAnswer> {
      const client = await authenticateClient(authorization, params);
      if (client === null) return INVALID_CLIENT;
      const claims = ownLiveToken(client, params.token ?? "");
      // RFC 7009 §2.2: an invalid, expired or someone else's token gets the same empty 200.
      if (claims !== null) await deps.revoke(claims);
      return { status: 200, body: {} };
    },
  };
}

export type JwtTokenRequests = ReturnType<typeof createJwtTokenRequests>;
