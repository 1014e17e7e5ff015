/**
 * Reading the audit log (a user's own events, the administrators' filtered view), pruning it to
 * the retention period, and verifying its hash chain. Events are written by the services that
 * perform the acts, inside the same transaction (`stores.audit.appendAuditEvent`).
 */
import type { Clock } from "../clock.js";
import type { Persistence } from "../persistence.js";
import { type ChainVerdict, verifyAuditChain } from "./audit-chain.js";
import type { AuditEventType } from "./audit-event.js";
import { type AuditEventView, viewAuditRecord } from "./audit-record.js";

export interface AuditLogServiceDeps {
  persistence: Persistence;
  clock: Clock;
  /** Events older than this are pruned; null keeps them forever. */
  retentionMs: number | null;
}

export interface AuditEventQuery {
  userId?: string;
  type?: string;
  limit: number;
  /** An opaque cursor from an earlier page. */
  cursor?: string;
}

export type AuditEventPage =
  | { ok: true; events: AuditEventView[]; nextCursor: string | null }
  | { ok: false; code: "invalid_cursor" };

export interface AuditLogService {
  /** The user's own events (they are the subject), newest first. */
  listUserEvents(userId: string, limit: number): Promise<AuditEventView[]>;
  /** Every event, newest written first, filtered by subject and type. */
  listEvents(query: AuditEventQuery): Promise<AuditEventPage>;
  /**
   * How many events of each type were written in the last `windowMs` (the console's overview:
   * sign-ins and failed sign-ins of the last day); a type with none is absent.
   */
  countRecentEvents(types: AuditEventType[], windowMs: number): Promise<Partial<Record<string, number>>>;
  /** Removes events past the retention period; returns how many. */
  prune(): Promise<number>;
  /** Walks the hash chain; names the first broken link. */
  verify(): Promise<ChainVerdict>;
}

const CHAIN_PAGE_SIZE = 500;
const PRUNED: AuditEventType = "audit.pruned";

function encodeCursor(position: number): string {
  return Buffer.from(`a1:${position}`, "utf8").toString("base64url");
}

function decodeCursor(cursor: string): number | null {
  const match = /^a1:([1-9][0-9]{0,15})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  return match?.[1] === undefined ? null : Number(match[1]);
}

export function createAuditLogService(deps: AuditLogServiceDeps): AuditLogService {
  const { persistence, clock } = deps;

  return {
    async listUserEvents(userId, limit) {
      const records = await persistence.audit.listUserAuditEvents(userId, limit);
      return records.map(viewAuditRecord);
    },

    async listEvents(query) {
      let before: number | undefined;
      if (query.cursor !== undefined) {
        const position = decodeCursor(query.cursor);
        if (position === null) return { ok: false, code: "invalid_cursor" };
        before = position;
      }
      // One more than asked tells whether there is a next page.
      const records = await persistence.audit.listAuditEvents({
        ...(query.userId === undefined ? {} : { userId: query.userId }),
        ...(query.type === undefined ? {} : { type: query.type }),
        ...(before === undefined ? {} : { before }),
        limit: query.limit + 1,
      });
      const page = records.slice(0, query.limit);
      const last = page.at(-1);
      return {
        ok: true,
        events: page.map(viewAuditRecord),
        nextCursor: records.length > query.limit && last !== undefined ? encodeCursor(last.position) : null,
      };
    },

    countRecentEvents(types, windowMs) {
      return persistence.audit.countAuditEventsOfTypesSince(types, clock.now() - windowMs);
    },

    async prune() {
      if (deps.retentionMs === null) return 0;
      const now = clock.now();
      const cutoff = now - deps.retentionMs;
      return persistence.transaction(async (stores) => {
        const boundary = await stores.audit.findAuditPruneBoundary(cutoff);
        if (boundary === undefined) return 0;
        // Appended before the deletion, so it is never itself removed and the chain stays whole:
        // the first remaining event follows `anchorHash`.
        const removed = await stores.audit.countAuditEventsThrough(boundary.position);
        await stores.audit.appendAuditEvent({
          type: PRUNED,
          userId: null,
          actorId: null,
          ip: null,
          userAgent: null,
          details: {
            throughPosition: boundary.position,
            anchorHash: boundary.hash,
            removed,
            cutoff: new Date(cutoff).toISOString(),
          },
          at: now,
        });
        return stores.audit.deleteAuditEventsThrough(boundary.position);
      });
    },

    verify() {
      return verifyAuditChain({
        async *pages() {
          let after = 0;
          for (;;) {
            const page = await persistence.audit.readAuditChain(after, CHAIN_PAGE_SIZE);
            if (page.length === 0) return;
            yield page;
            after = page[page.length - 1]?.position ?? after;
          }
        },
        latestPruning: () => persistence.audit.findLatestAuditEventOfType(PRUNED),
      });
    },
  };
}
