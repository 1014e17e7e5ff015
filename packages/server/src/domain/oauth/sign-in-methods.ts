/**
 * The one check of "would this account still have a way to sign in?", used before an identity is
 * unlinked or a passkey removed (API.md: `409 last_sign_in_method`). Extend it here, and only
 * here, when another way of signing in arrives. Callers hold the user's sign-in-methods lock.
 */
import type { Stores } from "../persistence.js";
import type { UserWithPassword } from "../users/user.js";

/** Whether `user` keeps a password, an identity or a passkey once the one named in `without` is gone. */
export async function keepsAWayToSignIn(
  stores: Stores,
  user: UserWithPassword,
  without: { identityId?: string; passkeyId?: string },
): Promise<boolean> {
  if (user.passwordHash !== null) return true;
  const identities = await stores.identities.listIdentitiesOfUser(user.id);
  if (identities.some((identity) => identity.id !== without.identityId)) return true;
  const passkeys = await stores.webauthn.listWebAuthnCredentialsOfUser(user.id);
  return passkeys.some((passkey) => passkey.id !== without.passkeyId);
}
