/** Domain objects → the JSON of API.md. The response schemas then drop anything not listed. */
import type { CookieGrant, TokenGrant } from "../domain/sessions/session-service.js";
import type { User } from "../domain/users/user.js";

export function presentUser(user: User) {
  return {
    id: user.id,
    email: user.email,
    emailVerified: user.emailVerified,
    name: user.name,
    roles: user.roles,
    // An enabled TOTP or at least one passkey (domain/mfa/mfa-factors.ts); a column, so no extra query.
    mfaEnabled: user.mfaEnabled,
    createdAt: new Date(user.createdAt).toISOString(),
  };
}

/** The body of a cookie login; the secret itself travels only in the cookie. */
export function presentCookieLogin(grant: CookieGrant, user: User) {
  return {
    user: presentUser(user),
    session: { id: grant.session.id, expiresAt: new Date(grant.session.expiresAt).toISOString() },
  };
}

export function presentTokenGrant(grant: TokenGrant, user: User) {
  return {
    tokenType: "Bearer" as const,
    accessToken: grant.accessToken,
    expiresIn: grant.expiresIn,
    refreshToken: grant.refreshToken,
    refreshExpiresIn: grant.refreshExpiresIn,
    user: presentUser(user),
  };
}
