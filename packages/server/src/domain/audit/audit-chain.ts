/**
 * The audit log is a hash chain: each event stores the SHA-256 of the event before it (`prevHash`)
 * and its own `hash` over that link and its content. Changing, removing or inserting an event
 * breaks the chain at that point, and `verifyAuditChain` names the first broken link.
 *
 * Retention pruning removes the oldest events; it first appends an `audit.pruned` event whose
 * details name the last removed event's hash (`anchorHash`), so the chain still verifies from the
 * first remaining event, and removing more from the start is still seen.
 *
 * What a chain cannot show: someone able to write the database may recompute every hash after the
 * row they changed, or drop the newest events. Keep the head hash that `audit verify` prints
 * somewhere else (a ticket, another system's log) to catch that too.
 */
import { createHash } from "node:crypto";
import type { AuditRecord } from "./audit-record.js";

/** The `prevHash` of the first event ever written. */
export const GENESIS_HASH = "0".repeat(64);

export type ChainedFields = Pick<
  AuditRecord,
  "id" | "type" | "userId" | "actorId" | "ip" | "userAgent" | "details" | "at"
>;

/**
 * The hash of one event: SHA-256 over the previous hash and a JSON array of the fields, so no
 * field's content can be moved into another.
 * @example const hash = hashAuditEvent(GENESIS_HASH, { id, type, userId, actorId, ip, userAgent, details: "{}", at });
 */
export function hashAuditEvent(prevHash: string, event: ChainedFields): string {
  const content = JSON.stringify([
    event.id,
    event.type,
    event.userId,
    event.actorId,
    event.ip,
    event.userAgent,
    event.details,
    event.at,
  ]);
  return createHash("sha256").update(prevHash).update("\n").update(content).digest("hex");
}

export type ChainBreak =
  /** The event's content no longer matches its own hash: it was changed. */
  | "content_changed"
  /** The event does not follow from the one before it: an event between them was removed or rewritten. */
  | "link_broken"
  /** The first event does not start the chain nor follow the last pruning: earlier events were removed. */
  | "start_missing";

export type ChainVerdict =
  | { ok: true; events: number; head: string }
  | {
      ok: false;
      /** Events checked and found sound before the break. */
      events: number;
      reason: ChainBreak;
      brokenAt: { position: number; id: string; type: string };
      /** For `link_broken`: the event the broken one should follow. */
      previous?: { position: number; id: string };
    };

export interface ChainSource {
  /** The events in write order, page by page. */
  pages(): AsyncIterable<AuditRecord[]>;
  /** The newest `audit.pruned` event, if any. */
  latestPruning(): Promise<AuditRecord | undefined>;
}

function prunedAnchor(pruning: AuditRecord | undefined): string | undefined {
  if (pruning === undefined) return undefined;
  try {
    const details = JSON.parse(pruning.details) as { anchorHash?: unknown };
    return typeof details.anchorHash === "string" ? details.anchorHash : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Walks the whole chain, oldest first, and stops at the first broken link.
 * @example const verdict = await verifyAuditChain(source); if (!verdict.ok) report(verdict.brokenAt);
 */
export async function verifyAuditChain(source: ChainSource): Promise<ChainVerdict> {
  const anchor = prunedAnchor(await source.latestPruning());
  let previous: AuditRecord | undefined;
  let events = 0;
  for await (const page of source.pages()) {
    for (const record of page) {
      const brokenAt = { position: record.position, id: record.id, type: record.type };
      if (previous === undefined) {
        if (record.prevHash !== GENESIS_HASH && record.prevHash !== anchor) {
          return { ok: false, events, reason: "start_missing", brokenAt };
        }
      } else if (record.prevHash !== previous.hash) {
        return {
          ok: false,
          events,
          reason: "link_broken",
          brokenAt,
          previous: { position: previous.position, id: previous.id },
        };
      }
      if (hashAuditEvent(record.prevHash, record) !== record.hash) {
        return { ok: false, events, reason: "content_changed", brokenAt };
      }
      previous = record;
      events += 1;
    }
  }
  return { ok: true, events, head: previous?.hash ?? GENESIS_HASH };
}
