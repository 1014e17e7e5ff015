/**
 * The revocations SQL has recorded since a moment: revoked sessions, disabled users and deleted
 * users (whose rows are gone, so their `user.deleted` audit events speak for them). Loaded at
 * start, after the bus reconnects, and polled while it is down.
 */
import type { Persistence } from "../persistence.js";
import type { Revocation } from "./revocation.js";

export async function listRevocationsSince(persistence: Persistence, since: number): Promise<Revocation[]> {
  const [sessions, disabledUsers, deletions] = await Promise.all([
    persistence.sessions.listSessionsRevokedSince(since),
    persistence.users.listUsersDisabledSince(since),
    persistence.audit.listAuditEventsOfTypesSince(["user.deleted"], since),
  ]);
  const events: Revocation[] = [];
  for (const { id, revokedAt } of sessions) events.push({ kind: "session", sessionId: id, at: revokedAt });
  for (const { id, disabledAt } of disabledUsers) events.push({ kind: "user", userId: id, at: disabledAt });
  // A token issued in the same millisecond as the deletion was issued before it.
  for (const { userId, at } of deletions)
    if (userId !== null) events.push({ kind: "user", userId, at: at + 1 });
  return events;
}
