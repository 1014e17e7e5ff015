/**
 * Closes pre-account-takeover through social login (Sudhodanan and Paverd, "Pre-hijacked
 * accounts", 2022: the "classic–federated merge" attack; ASVS 6.8.1; OWASP Authentication cheat
 * sheet on linking by email). Some providers let anyone claim an address without proving it, so
 * whoever controls such a provider account with the victim's address can create the Portcullis
 * account first, from the unverified address, and wait: once the victim takes the account over
 * with a password reset (or verifies the address), the intruder's identity would still sign in.
 *
 * Each identity records whether the account's address was verified when it was linked
 * (`linkedWhileUnverified`). When the owner proves the address — a completed password reset, an
 * email verification, both links that reached the address itself — every identity linked
 * before that proof is unlinked in the proving transaction, each recorded as `identity.unlinked`
 * (`reason: "address_proven"`), and the owner is mailed the list. The caller ends the sessions:
 * the reset ends every session anyway; the verification ends every session when it unlinked
 * something (email-verification-service.ts says why all of them).
 */
import type { ClientContext } from "../audit/audit-event.js";
import type { Clock } from "../clock.js";
import type { AccountMailer } from "../mail/account-mailer.js";
import type { Stores } from "../persistence.js";
import type { User } from "../users/user.js";
import type { Identity } from "./identity.js";

/** How the owner proved the address. */
export type AddressProof = "password_reset" | "email_verification";

export interface UnprovenIdentitiesDeps {
  clock: Clock;
  mailer: AccountMailer;
}

export interface UnprovenIdentities {
  /**
   * Inside the proving transaction, after the address is marked verified: unlinks every identity
   * of `user` linked while the address was unverified, audits each, and mails the owner once.
   * Returns what it unlinked ([] and no mail when there was nothing).
   */
  unlinkUnprovenIdentitiesIn(
    stores: Stores,
    user: User,
    proof: AddressProof,
    client: ClientContext,
  ): Promise<Identity[]>;
}

/** "google (ada@example.com)", or the provider alone when it gave no address. */
const describeIdentity = (identity: Identity): string =>
  identity.email === null ? identity.provider : `${identity.provider} (${identity.email})`;

/**
 * @example
 * const unproven = createUnprovenIdentities({ clock, mailer });
 * await persistence.transaction(async (stores) => {
 *   await stores.recovery.markEmailVerified(user.id, now);
 *   await unproven.unlinkUnprovenIdentitiesIn(stores, user, "email_verification", client); // [identity]
 * });
 */
export function createUnprovenIdentities(deps: UnprovenIdentitiesDeps): UnprovenIdentities {
  const { clock, mailer } = deps;
  return {
    async unlinkUnprovenIdentitiesIn(stores, user, proof, client) {
      // A link committing concurrently either finishes first (and is seen, and unlinked, here) or
      // waits for this transaction and then finds the address verified (social-login-service.ts).
      await stores.identities.lockSignInMethodsOfUser(user.id);
      const unproven = (await stores.identities.listIdentitiesOfUser(user.id)).filter(
        (identity) => identity.linkedWhileUnverified,
      );
      const unlinked: Identity[] = [];
      const now = clock.now();
      for (const identity of unproven) {
        if (!(await stores.identities.deleteIdentityOfUser(user.id, identity.id))) continue;
        unlinked.push(identity);
        await stores.audit.appendAuditEvent({
          type: "identity.unlinked",
          userId: user.id,
          actorId: user.id,
          ip: client.ip,
          userAgent: client.userAgent,
          details: { identityId: identity.id, provider: identity.provider, reason: "address_proven", proof },
          at: now,
        });
      }
      if (unlinked.length > 0) {
        await mailer.queueIn(stores, user.id, {
          kind: "identities_unlinked",
          to: user.email,
          providers: unlinked.map(describeIdentity),
          origin: { at: now, ip: client.ip, userAgent: client.userAgent },
        });
      }
      return unlinked;
    },
  };
}
