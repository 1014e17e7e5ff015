/**
 * A run of `users import` against a real SQLite database: every line either goes in, is found
 * already there, or is refused with its line and reason; running the same records again
 * changes nothing.
 */
import { randomUUID } from "node:crypto";
import bcrypt from "bcryptjs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTotpSecretBox } from "../domain/mfa/totp-secret-box.js";
import type { ImportRecord } from "../domain/users/user-import.js";
import { openSqlDatabase, type SqlDatabase } from "../store/sql/database.js";
import { createUserImportRepository } from "../store/sql/user-import-repository.js";
import { createSeenAddresses, importUsers, type ReportedRefusal, uuidV7 } from "./user-import.js";
import type { SourceItem } from "./user-import-formats.js";

const NOW = Date.parse("2025-06-01T12:00:00Z");
const BCRYPT = bcrypt.hashSync("tangerine-otter-lamp", 4);
const box = createTotpSecretBox({ secret: "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz" });

let database: SqlDatabase;

beforeEach(async () => {
  database = await openSqlDatabase("sqlite::memory:");
});
afterEach(async () => {
  await database.close();
});

async function* items(records: (ImportRecord | SourceItem)[]): AsyncGenerator<SourceItem> {
  for (const [index, record] of records.entries())
    yield "line" in record ? (record as SourceItem) : { line: index + 1, record: record as ImportRecord };
}

async function run(records: (ImportRecord | SourceItem)[], batchSize = 500) {
  const refusals: ReportedRefusal[] = [];
  const counts = await importUsers(
    items(records),
    { knownRoles: ["user", "admin"], batchSize },
    {
      store: createUserImportRepository(database.db),
      clock: { now: () => NOW },
      newId: randomUUID,
      sealTotp: (secret) => box.seal(secret),
      onRefusal: (refusal) => {
        refusals.push(refusal);
      },
    },
  );
  return { counts, refusals };
}

const snapshot = async () => ({
  users: await database.db.selectFrom("users").selectAll().orderBy("email").execute(),
  identities: await database.db.selectFrom("identities").selectAll().orderBy("subject").execute(),
  totp: await database.db.selectFrom("mfa_totp").selectAll().orderBy("user_id").execute(),
});

describe("importUsers", () => {
  it("imports 2,000 users across batches, and a second run changes nothing", async () => {
    const records = Array.from({ length: 2_000 }, (_, index) => ({
      email: `user${index}@example.com`,
      passwordHash: BCRYPT,
      ...(index % 100 === 0 ? { identities: [{ provider: "github", subject: String(index) }] } : {}),
    }));

    const first = await run(records, 300);
    expect(first.counts).toEqual({ records: 2_000, inserted: 2_000, existing: 0, refused: 0 });
    const before = await snapshot();
    expect(before.users).toHaveLength(2_000);
    expect(before.identities).toHaveLength(20);

    const second = await run(records, 300);
    expect(second.counts).toEqual({ records: 2_000, inserted: 0, existing: 2_000, refused: 0 });
    expect(await snapshot()).toEqual(before);
  });

  it("skips an address that already has an account without touching it", async () => {
    await run([{ email: "taken@example.com", name: "Original", roles: ["admin"] }]);
    const { counts } = await run([{ email: "TAKEN@example.com", name: "Impostor", roles: ["user"] }]);
    expect(counts).toMatchObject({ inserted: 0, existing: 1, refused: 0 });
    const row = await database.db
      .selectFrom("users")
      .selectAll()
      .where("email", "=", "taken@example.com")
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ name: "Original", roles: '["admin"]' });
  });

  it("refuses a repeated address with the line it first appeared on, in any batch", async () => {
    const { counts, refusals } = await run(
      [{ email: "a@example.com" }, { email: "b@example.com" }, { email: "A@Example.com", name: "again" }],
      2,
    );
    expect(counts).toMatchObject({ inserted: 2, refused: 1 });
    expect(refusals).toEqual([
      { line: 3, reason: "duplicate_email", detail: "email: also on line 1", email: "a@example.com" },
    ]);
  });

  it("goes on past refused lines, reporting each with its line and reason", async () => {
    const { counts, refusals } = await run([
      { line: 1, refusal: { reason: "malformed_line", detail: "not JSON" } },
      { line: 2, record: { email: "ok@example.com" } },
      { line: 3, record: { email: "x@example.com", roles: ["root"] } },
      { line: 4, record: { email: "y@example.com", passwordHash: "plain" } },
    ]);
    expect(counts).toEqual({ records: 4, inserted: 1, existing: 0, refused: 3 });
    expect(refusals.map(({ line, reason }) => [line, reason])).toEqual([
      [1, "malformed_line"],
      [3, "unknown_role"],
      [4, "unknown_hash_format"],
    ]);
  });

  it("refuses a user whose identity belongs to another account, in the database or earlier in the batch", async () => {
    await run([{ email: "owner@example.com", identities: [{ provider: "github", subject: "42" }] }]);
    const { counts, refusals } = await run([
      { email: "thief@example.com", identities: [{ provider: "github", subject: "42" }] },
      { email: "first@example.com", identities: [{ provider: "google", subject: "7" }] },
      { email: "second@example.com", identities: [{ provider: "google", subject: "7" }] },
      { email: "other-provider@example.com", identities: [{ provider: "google", subject: "42" }] },
    ]);
    expect(counts).toMatchObject({ inserted: 2, refused: 2 });
    expect(refusals.map(({ line, reason }) => [line, reason])).toEqual([
      [1, "identity_taken"],
      [3, "identity_taken"],
    ]);
    const emails = (await database.db.selectFrom("users").select("email").execute()).map((row) => row.email);
    expect(emails).not.toContain("thief@example.com");
    expect(emails).not.toContain("second@example.com");
  });

  it("stores the TOTP secret sealed and enabled, the creation time, and a disabled account as disabled", async () => {
    await run([
      {
        email: "mfa@example.com",
        emailVerified: true,
        totpSecret: "JBSWY3DPEHPK3PXP",
        createdAt: "2018-01-01T00:00:00Z",
        disabled: true,
      },
    ]);
    const user = await database.db
      .selectFrom("users")
      .selectAll()
      .where("email", "=", "mfa@example.com")
      .executeTakeFirstOrThrow();
    expect(user).toMatchObject({
      email_verified: 1,
      mfa_enabled: 1,
      created_at: Date.parse("2018-01-01T00:00:00Z"),
      disabled_at: NOW,
    });
    const totp = await database.db
      .selectFrom("mfa_totp")
      .selectAll()
      .where("user_id", "=", user.id)
      .executeTakeFirstOrThrow();
    expect(totp.enabled_at).toBe(NOW);
    expect(totp.secret_sealed).not.toContain("JBSWY3DP");
    expect(Buffer.from(box.open({ keyId: totp.key_id, sealed: totp.secret_sealed })).toString("hex")).toBe(
      "48656c6c6f21deadbeef",
    );
  });
});

describe("uuidV7", () => {
  it("is an RFC 9562 version 7 UUID that sorts by its time", () => {
    const earlier = uuidV7(Date.parse("2025-01-01T00:00:00.000Z"));
    const later = uuidV7(Date.parse("2025-01-01T00:00:00.001Z"));
    expect(earlier).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(earlier.slice(0, 13)).toBe("01941f29-7c00");
    expect(earlier < later).toBe(true);
    expect(uuidV7(0)).not.toBe(uuidV7(0));
  });
});

describe("createSeenAddresses", () => {
  it("remembers every address and its first line as it grows", () => {
    const seen = createSeenAddresses(4);
    for (let index = 0; index < 1_000; index++)
      expect(seen.firstSeenOn(`u${index}@example.com`, index + 1)).toBeNull();
    for (let index = 0; index < 1_000; index++)
      expect(seen.firstSeenOn(`u${index}@example.com`, 5_000)).toBe(index + 1);
  });
});
