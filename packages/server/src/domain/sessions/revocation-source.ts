/**
 * The revocations SQL has recorded since a moment: revoked sessions, disabled users and deleted
 * users (whose rows are gone, so their `user.deleted` audit events speak for them), and deleted
 * OAuth clients (the `sub` of their client-credentials tokens is the client id, so a deleted
 * client is revoked like a deleted user). Loaded at start, after the bus reconnects, and polled
 * while it is down.
 */
import type { Persistence } from "../persistence.js";
import type { Revocation } from "./revocation.js";

export async function listRevocationsSince(persistence: Persistence, since: number): Promise<Revocation[]> {
  const [sessions, disabledUsers, deletions] = await Promise.all([
    persistence.sessions.listSessionsRevokedSince(since),
    persistence.users.listUsersDisabledSince(since),
    persistence.audit.listAuditEventsOfTypesSince(["user.deleted", "client.deleted"], since),
  ]);
  const events: Revocation[] = [];
  for (const { id, revokedAt } of sessions) events.push({ kind: "session", sessionId: id, at: revokedAt });
  for (const { id, disabledAt } of disabledUsers) events.push({ kind: "user", userId: id, at: disabledAt });
  // A token issued in the same millisecond as the deletion was issued before it.
  for (const { type, userId, details, at } of deletions) {
    const subject = type === "client.deleted" ? deletedClientId(details) : userId;
    if (subject !== null) events.push({ kind: "user", userId: subject, at: at + 1 });
  }
  return events;
}

/** The `clientId` of a `client.deleted` event's details (JSON), or null. */
function deletedClientId(details: string): string | null {
  try {
    const clientId = (JSON.parse(details) as Record<string, unknown>).clientId;
    return typeof clientId === "string" ? clientId : null;
  } catch {
    return null;
  }
}
