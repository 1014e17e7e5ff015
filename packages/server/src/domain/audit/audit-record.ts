/**
 * An audit event as stored: the event, its place in the log, and its link in the hash chain.
 * `details` is kept as the exact JSON text that was hashed, so verifying never depends on how
 * a JSON serialiser orders keys.
 */
export interface AuditRecord {
  /** Write order (monotonic; not necessarily gap-free). */
  position: number;
  id: string;
  /** An `AuditEventType`, or a type written by another version of Portcullis. */
  type: string;
  /** The subject: whom the event is about. */
  userId: string | null;
  /** Who did it: the subject, an administrator, or null for the system or an anonymous caller. */
  actorId: string | null;
  ip: string | null;
  userAgent: string | null;
  details: string;
  at: number;
  /** The `hash` of the event written before this one (the genesis hash for the first). */
  prevHash: string;
  hash: string;
}

/** How the API shows an event. */
export interface AuditEventView {
  id: string;
  position: number;
  type: string;
  userId: string | null;
  actorId: string | null;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
  at: number;
}

export function viewAuditRecord(record: AuditRecord): AuditEventView {
  let details: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(record.details);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
      details = parsed as Record<string, unknown>;
    }
  } catch {
    // A row that is not JSON was not written by us; `audit verify` names it. Show no details.
  }
  return {
    id: record.id,
    position: record.position,
    type: record.type,
    userId: record.userId,
    actorId: record.actorId,
    ip: record.ip,
    userAgent: record.userAgent,
    details,
    at: record.at,
  };
}
