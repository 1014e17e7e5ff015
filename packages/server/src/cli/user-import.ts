/**
 * One run of `users import`: records are read in file order, checked, and written in batches,
 * one transaction each. Nothing is overwritten: an address that has an account is counted and
 * skipped, so a second run of the same file changes nothing. A record that cannot go in (it
 * cannot be read, fails a check, repeats an address of an earlier line, or claims an identity
 * that is another account's) is handed to `onRefusal` with its line, and the run goes on.
 */
import { hash, randomBytes } from "node:crypto";
import type { Clock } from "../domain/clock.js";
import type { SealedTotpSecret } from "../domain/mfa/totp-secret-box.js";
import {
  checkImportRecord,
  type ImportRefusalReason,
  type NewImportedUser,
  type UserImportStore,
} from "../domain/users/user-import.js";
import type { SourceItem } from "./user-import-formats.js";

/** Users per transaction: large enough to amortise a commit, small enough to keep each one short. */
export const DEFAULT_BATCH_SIZE = 500;

export interface ReportedRefusal {
  line: number;
  reason: ImportRefusalReason;
  detail: string;
  email?: string;
}

export interface ImportCounts {
  /** Records read (blank lines aside). */
  records: number;
  inserted: number;
  /** Skipped: the address already had an account. */
  existing: number;
  refused: number;
}

export interface UserImportDeps {
  store: UserImportStore;
  clock: Clock;
  newId(): string;
  sealTotp(secret: Uint8Array): SealedTotpSecret;
  /** Called once per refused record, in line order within a batch; awaited (the report may apply back-pressure). */
  onRefusal(refusal: ReportedRefusal): void | Promise<void>;
  /** Called after each batch is written and each refusal, with the counts so far (one object, updated in place). */
  onProgress?(counts: ImportCounts): void;
}

export interface UserImportOptions {
  knownRoles: readonly string[];
  batchSize?: number;
}

/**
 * A UUID version 7 (RFC 9562 §5.7): 48 bits of Unix milliseconds, then 74 random bits. Imported
 * users get these rather than random (version 4) ids so that each batch lands at the end of the
 * primary-key index instead of all over it: with random ids SQLite slowed from 5 to 9.5 seconds
 * per 100,000 users as the table grew to 400,000, with these it stayed near 3.
 *
 * @example uuidV7(Date.now()) // "01932c07-8b2e-7c3a-9f1e-4d2b6a8c0e1f"
 */
export function uuidV7(now: number): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The addresses seen so far, to refuse a repeat within the file. A 1 GB file may hold ten
 * million addresses, so only 64 bits of each address's SHA-256 are kept (with the line it was
 * first seen on) in flat typed arrays: 12 bytes a slot, about 24 bytes an address, where a
 * `Set` of strings would take ten times that. Two different addresses share 64 bits with
 * probability about n²/2⁶⁵ (under 10⁻⁵ for ten million), and the worst outcome is one line
 * refused as a repeat, in the report.
 */
export function createSeenAddresses(initialCapacity = 1 << 16) {
  let capacity = initialCapacity;
  let high = new Uint32Array(capacity);
  let low = new Uint32Array(capacity);
  let lines = new Uint32Array(capacity);
  let size = 0;

  const digest = (email: string): [number, number] => {
    const bytes = hash("sha256", email, "buffer");
    const h = bytes.readUInt32BE(0);
    // (0, 0) marks an empty slot.
    const l = bytes.readUInt32BE(4) || (h === 0 ? 1 : 0);
    return [h, l];
  };

  /** Index of the slot holding (h, l), or of the empty slot where it belongs. */
  const slotOf = (h: number, l: number): number => {
    const mask = capacity - 1;
    let slot = (l ^ h) & mask;
    while ((high[slot] !== 0 || low[slot] !== 0) && (high[slot] !== h || low[slot] !== l))
      slot = (slot + 1) & mask;
    return slot;
  };

  const grow = () => {
    const [oldHigh, oldLow, oldLines] = [high, low, lines];
    capacity *= 2;
    high = new Uint32Array(capacity);
    low = new Uint32Array(capacity);
    lines = new Uint32Array(capacity);
    for (let index = 0; index < oldHigh.length; index++) {
      const [h, l] = [oldHigh[index] as number, oldLow[index] as number];
      if (h === 0 && l === 0) continue;
      const slot = slotOf(h, l);
      high[slot] = h;
      low[slot] = l;
      lines[slot] = oldLines[index] as number;
    }
  };

  return {
    /** The line `email` was first seen on, or null (and it is remembered as seen on `line`). */
    firstSeenOn(email: string, line: number): number | null {
      const [h, l] = digest(email);
      const slot = slotOf(h, l);
      if (high[slot] !== 0 || low[slot] !== 0) return lines[slot] as number;
      high[slot] = h;
      low[slot] = l;
      lines[slot] = line;
      // Keep the table at most half full, so probes stay short.
      if (++size * 2 > capacity) grow();
      return null;
    },
  };
}

/**
 * Imports every record of `source`; returns the counts. Throws only when the run cannot go on
 * (the database fails); the batches written before stay written, and running the file again
 * carries on where it stopped.
 *
 * @example const counts = await importUsers(readImportRecords(stream, "jsonl", { firebase: null }), options, deps);
 */
export async function importUsers(
  source: AsyncIterable<SourceItem>,
  options: UserImportOptions,
  deps: UserImportDeps,
): Promise<ImportCounts> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const at = deps.clock.now();
  const counts: ImportCounts = { records: 0, inserted: 0, existing: 0, refused: 0 };
  const seen = createSeenAddresses();
  let batch: { line: number; user: NewImportedUser }[] = [];

  const refuse = async (refusal: ReportedRefusal) => {
    counts.refused++;
    await deps.onRefusal(refusal);
    deps.onProgress?.(counts);
  };

  const flush = async () => {
    if (batch.length === 0) return;
    const written = batch;
    batch = [];
    const outcomes = await deps.store.importUsers(
      written.map((entry) => entry.user),
      at,
    );
    for (const [index, outcome] of outcomes.entries()) {
      const entry = written[index];
      if (entry === undefined) continue;
      if (outcome === "inserted") counts.inserted++;
      else if (outcome === "exists") counts.existing++;
      else
        await refuse({
          line: entry.line,
          reason: "identity_taken",
          detail: "identities: a provider identity already belongs to another account",
          email: entry.user.user.email,
        });
    }
    deps.onProgress?.(counts);
  };

  for await (const item of source) {
    counts.records++;
    if ("refusal" in item) {
      await refuse({ line: item.line, ...item.refusal });
      continue;
    }
    const checked = checkImportRecord(item.record, { knownRoles: options.knownRoles, now: at });
    const email = checked.ok ? checked.user.email : checked.email;
    const earlier = email === undefined ? null : seen.firstSeenOn(email, item.line);
    if (earlier !== null) {
      await refuse({
        line: item.line,
        reason: "duplicate_email",
        detail: `email: also on line ${earlier}`,
        ...(email === undefined ? {} : { email }),
      });
      continue;
    }
    if (!checked.ok) {
      const { ok: _ok, ...refusal } = checked;
      await refuse({ line: item.line, ...refusal });
      continue;
    }
    const { totpSecret } = checked.user;
    batch.push({
      line: item.line,
      user: {
        id: deps.newId(),
        user: checked.user,
        totp: totpSecret === null ? null : deps.sealTotp(totpSecret),
      },
    });
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  return counts;
}
