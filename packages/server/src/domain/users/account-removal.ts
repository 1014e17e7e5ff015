/**
 * Deleting an account: the part the administrators' delete and the owner's own share (API.md
 * "Administration"; ASVS 7.4.2: a deleted account ends all its sessions).
 *
 * In the act's transaction, `removeAccountIn` ends every session (their ids are needed to
 * announce the revocation; the rows go with the user), records `user.deleted` — which is also
 * what restores the revocation after a restart, since no session row is left to say so
 * (revocation-source.ts) — and deletes the user; sessions, refresh tokens, API keys, factors,
 * identities, mailed links and pending mail go by ON DELETE CASCADE. The audit events stay (they
 * are the record, and the hash chain must not break). After the commit, `announceAccountRemoval`
 * has the account's tokens refused at once, on this instance and on every other.
 */
import type { ClientContext } from "../audit/audit-event.js";
import type { Stores } from "../persistence.js";
import type { RevocationBus, RevocationSet } from "../sessions/revocation.js";
import type { SessionService } from "../sessions/session-service.js";
import type { User } from "../users/user.js";

/** Who deletes: an administrator, or the account's owner; null for the command line (no actor). */
export type AccountRemovalActor = { userId: string; client: ClientContext } | null;

export interface AccountRemovalAnnouncerDeps {
  sessions: Pick<SessionService, "announceRevokedSessions">;
  revocations: RevocationSet;
  bus: RevocationBus;
}

/**
 * Inside the caller's transaction; returns the ids of the sessions it ended, for
 * `announceAccountRemoval` once the transaction has committed.
 * @example
 * const ended = await persistence.transaction((stores) => removeAccountIn(stores, user, actor, now));
 * await announceAccountRemoval(deps, user.id, ended, now);
 */
export async function removeAccountIn(
  stores: Stores,
  user: User,
  actor: AccountRemovalActor,
  now: number,
): Promise<string[]> {
  const ids = await stores.sessions.revokeUserSessions(user.id, now, "revoked");
  await stores.audit.appendAuditEvent({
    type: "user.deleted",
    userId: user.id,
    actorId: actor?.userId ?? null,
    ip: actor?.client.ip ?? null,
    userAgent: actor?.client.userAgent ?? null,
    details: { sessionsRevoked: ids.length },
    at: now,
  });
  await stores.userAdmin.deleteUser(user.id);
  return ids;
}

/** After the commit: the sessions, and every token of the account issued up to `now`, are refused everywhere. */
export async function announceAccountRemoval(
  deps: AccountRemovalAnnouncerDeps,
  userId: string,
  endedSessionIds: string[],
  now: number,
): Promise<void> {
  await deps.sessions.announceRevokedSessions(endedSessionIds);
  // The account cannot sign in again, so a token issued in the same millisecond was issued before it.
  const event = { kind: "user", userId, at: now + 1 } as const;
  deps.revocations.apply(event);
  await deps.bus.publish(event);
}
