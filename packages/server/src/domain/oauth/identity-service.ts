/**
 * The signed-in user's linked identities (API.md `GET/DELETE /v1/me/identities`). Unlinking
 * never leaves an account without a way to sign in (`last_sign_in_method`; see sign-in-methods.ts).
 */
import type { ClientContext } from "../audit/audit-event.js";
import type { Clock } from "../clock.js";
import type { Persistence } from "../persistence.js";
import type { Identity } from "./identity.js";
import { keepsAWayToSignIn } from "./sign-in-methods.js";

export type UnlinkOutcome = "unlinked" | "not_found" | "last_sign_in_method";

export interface IdentityService {
  listIdentities(userId: string): Promise<Identity[]>;
  unlinkIdentity(userId: string, identityId: string, client: ClientContext): Promise<UnlinkOutcome>;
}

export function createIdentityService(deps: { persistence: Persistence; clock: Clock }): IdentityService {
  const { persistence, clock } = deps;
  return {
    listIdentities: (userId) => persistence.identities.listIdentitiesOfUser(userId),

    unlinkIdentity(userId, identityId, client) {
      return persistence.transaction(async (stores) => {
        // Two concurrent unlinks must not both see "another way is left".
        await stores.identities.lockSignInMethodsOfUser(userId);
        const identity = await stores.identities.findIdentityOfUser(userId, identityId);
        const user = await stores.users.findUserWithPasswordById(userId);
        if (identity === undefined || user === undefined) return "not_found";
        if (!(await keepsAWayToSignIn(stores, user, { identityId: identity.id })))
          return "last_sign_in_method";
        if (!(await stores.identities.deleteIdentityOfUser(userId, identity.id))) return "not_found";
        await stores.audit.appendAuditEvent({
          type: "identity.unlinked",
          userId,
          actorId: userId,
          ip: client.ip,
          userAgent: client.userAgent,
          details: { identityId: identity.id, provider: identity.provider, reason: "requested" },
          at: clock.now(),
        });
        return "unlinked";
      });
    },
  };
}
