/**
 * Deleting one's own account (`DELETE /v1/me`, after step-up; ASVS 7.5.1, 7.4.2). It removes
 * exactly what the administrators' delete removes (account-removal.ts), with the owner as the
 * actor, and mails a short notice to the address the account had. The last enabled administrator cannot delete themselves: nobody
 * could then run the admin API, and only an operator with the CLI could make a new one.
 */

import { isLastEnabledAdmin } from "../admin/last-admin.js";
import type { ClientContext } from "../audit/audit-event.js";
import type { Clock } from "../clock.js";
import type { AccountMailer } from "../mail/account-mailer.js";
import type { Persistence, Stores } from "../persistence.js";
import {
  type AccountRemovalAnnouncerDeps,
  announceAccountRemoval,
  removeAccountIn,
} from "./account-removal.js";

export type DeleteOwnAccountOutcome =
  | { ok: true }
  | { ok: false; code: "unknown_user" }
  | { ok: false; code: "last_admin" };

export interface AccountDeletionServiceDeps extends AccountRemovalAnnouncerDeps {
  persistence: Persistence;
  clock: Clock;
  mailer: AccountMailer;
}

export interface AccountDeletionService {
  deleteOwnAccount(userId: string, client: ClientContext): Promise<DeleteOwnAccountOutcome>;
}

/**
 * @example
 * const deletion = createAccountDeletionService({ persistence, clock, mailer, sessions, revocations, bus });
 * await deletion.deleteOwnAccount(auth.userId, client); // { ok: true }, or last_admin
 */
export function createAccountDeletionService(deps: AccountDeletionServiceDeps): AccountDeletionService {
  const { persistence, clock, mailer } = deps;

  async function deleteIn(
    stores: Stores,
    userId: string,
    client: ClientContext,
    now: number,
  ): Promise<string[] | "unknown_user" | "last_admin"> {
    // Taken before anything is read, so two administrators deleting themselves at once cannot
    // each see the other and leave none.
    await stores.userAdmin.lockRoleHolders();
    const user = await stores.users.findUserById(userId);
    if (user === undefined) return "unknown_user";
    if (await isLastEnabledAdmin(stores, user)) return "last_admin";
    const ended = await removeAccountIn(stores, user, { userId: user.id, client }, now);
    // Queued without an owner, after the delete: the account's pending mail went with it (cascade).
    await mailer.queueIn(stores, null, {
      kind: "account_deleted",
      to: user.email,
      origin: { at: now, ip: client.ip, userAgent: client.userAgent },
    });
    return ended;
  }

  return {
    async deleteOwnAccount(userId, client) {
      const now = clock.now();
      const result = await persistence.transaction((stores) => deleteIn(stores, userId, client, now));
      if (typeof result === "string") return { ok: false, code: result };
      await announceAccountRemoval(deps, userId, result, now);
      return { ok: true };
    },
  };
}
