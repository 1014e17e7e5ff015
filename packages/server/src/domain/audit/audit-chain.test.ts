/**
 * The audit log is a hash chain: `verifyAuditChain` accepts an untouched chain (including one
 * whose start was pruned, anchored by the `audit.pruned` event) and otherwise names the first
 * broken link: a changed event, a removed or rewritten one, or a removed start.
 */
import { describe, expect, it } from "vitest";
import { type ChainSource, GENESIS_HASH, hashAuditEvent, verifyAuditChain } from "./audit-chain.js";
import type { AuditRecord } from "./audit-record.js";

function chain(count: number, start = GENESIS_HASH, firstPosition = 1): AuditRecord[] {
  const records: AuditRecord[] = [];
  let prevHash = start;
  for (let i = 0; i < count; i += 1) {
    const fields = {
      id: `event-${firstPosition + i}`,
      type: "login.succeeded",
      userId: "user-1",
      actorId: "user-1",
      ip: "192.0.2.1",
      userAgent: "test",
      details: JSON.stringify({ n: i }),
      at: 1_700_000_000_000 + i,
    };
    const hash = hashAuditEvent(prevHash, fields);
    records.push({ ...fields, position: firstPosition + i, prevHash, hash });
    prevHash = hash;
  }
  return records;
}

function source(records: AuditRecord[], pageSize = 3): ChainSource {
  return {
    async *pages() {
      for (let i = 0; i < records.length; i += pageSize) yield records.slice(i, i + pageSize);
    },
    latestPruning: async () => records.filter((record) => record.type === "audit.pruned").at(-1),
  };
}

describe("verifyAuditChain", () => {
  it("accepts an empty log and an untouched chain, and reports its head", async () => {
    expect(await verifyAuditChain(source([]))).toEqual({ ok: true, events: 0, head: GENESIS_HASH });
    const records = chain(10);
    expect(await verifyAuditChain(source(records))).toEqual({ ok: true, events: 10, head: records[9]!.hash });
  });

  it("names an event whose content was changed", async () => {
    const records = chain(10);
    records[4] = { ...records[4]!, ip: "203.0.113.9" };
    expect(await verifyAuditChain(source(records))).toMatchObject({
      ok: false,
      events: 4,
      reason: "content_changed",
      brokenAt: { position: 5, id: "event-5" },
    });
  });

  it("names the event after one that was changed and re-hashed", async () => {
    const records = chain(10);
    const forged = { ...records[4]!, details: "{}" };
    records[4] = { ...forged, hash: hashAuditEvent(forged.prevHash, forged) };
    expect(await verifyAuditChain(source(records))).toMatchObject({
      ok: false,
      reason: "link_broken",
      brokenAt: { position: 6 },
      previous: { position: 5 },
    });
  });

  it("names the event after one that was removed", async () => {
    const records = chain(10);
    records.splice(6, 1);
    expect(await verifyAuditChain(source(records))).toMatchObject({
      ok: false,
      reason: "link_broken",
      brokenAt: { position: 8 },
    });
  });

  it("names the first event when the start was removed without a pruning event", async () => {
    const records = chain(10).slice(3);
    expect(await verifyAuditChain(source(records))).toMatchObject({
      ok: false,
      reason: "start_missing",
      brokenAt: { position: 4 },
    });
  });

  it("accepts a start removed by pruning, anchored by the newest audit.pruned event, but not more", async () => {
    const records = chain(10);
    const last = records[9]!;
    const pruned = {
      id: "pruned",
      type: "audit.pruned",
      userId: null,
      actorId: null,
      ip: null,
      userAgent: null,
      details: JSON.stringify({ throughPosition: 3, anchorHash: records[2]!.hash }),
      at: last.at + 1,
    };
    const prunedRecord = {
      ...pruned,
      position: 11,
      prevHash: last.hash,
      hash: hashAuditEvent(last.hash, pruned),
    };
    const kept = [...records.slice(3), prunedRecord];
    expect(await verifyAuditChain(source(kept))).toMatchObject({ ok: true, events: 8 });

    expect(await verifyAuditChain(source(kept.slice(1)))).toMatchObject({
      ok: false,
      reason: "start_missing",
      brokenAt: { position: 5 },
    });
  });
});
