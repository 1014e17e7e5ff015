/**
 * Invariant: the audit log is tamper-evident. `audit verify` (the CLI, on the server's database)
 * walks the hash chain and exits 0 with the head hash while it is intact; once a row is changed,
 * removed or re-hashed in SQL it exits 1 and names the first broken link (ARCHITECTURE.md
 * "State"; issue 8).
 */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashAuditEvent } from "../../src/domain/audit/audit-chain.js";
import { createAdmin, createApiKey, createSignedInUser, loginAs, send } from "../support/accounts.js";
import { CLI_ENTRY, runTypeScript } from "../support/node-process.js";
import { createTestApp, PUBLIC_URL, TEST_SECRET, type TestApp } from "../support/test-app.js";

const CLI_TIMEOUT_MS = 20_000;

interface Row {
  seq: number;
  id: string;
  type: string;
  hash: string;
}

describe("cli › audit verify", () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
    const admin = await createAdmin(t);
    const user = await createSignedInUser(t);
    await loginAs(t, user.email);
    await createApiKey(t, user);
    await send(t, "PATCH", `/v1/admin/users/${user.user.id}`, admin.headers, { disabled: true });
    await send(t, "POST", "/v1/auth/login", {}, { email: user.email, password: "wrong-Password-0" });
  });
  afterAll(() => t.close());

  const verify = () =>
    runTypeScript(CLI_ENTRY, ["audit", "verify"], {
      cwd: t.dir,
      env: {
        DATABASE_URL: t.config.databaseUrl,
        PORTCULLIS_DATA_DIR: t.dir,
        PORTCULLIS_SECRET: TEST_SECRET,
        PORTCULLIS_PUBLIC_URL: PUBLIC_URL,
      },
      timeoutMs: CLI_TIMEOUT_MS,
    });
  const rows = async () =>
    (await sql<Row>`select seq, id, type, hash from audit_events order by seq`.execute(t.database.db)).rows;

  it("passes an untouched log, printing the number of events and the head hash", async () => {
    const all = await rows();
    expect(all.length).toBeGreaterThan(8);
    const result = await verify();
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ ok: true, events: all.length, head: all.at(-1)?.hash });
    expect(result.stderr).toContain("intact");
  });

  it("names an event whose content was changed in SQL", async () => {
    const target = (await rows())[4]!;
    const original = (
      await sql<{ ip: string | null }>`select ip from audit_events where seq = ${target.seq}`.execute(
        t.database.db,
      )
    ).rows[0]!.ip;
    await sql`update audit_events set ip = '203.0.113.66' where seq = ${target.seq}`.execute(t.database.db);
    try {
      const result = await verify();
      expect(result.code).toBe(1);
      expect(JSON.parse(result.stdout)).toMatchObject({
        ok: false,
        reason: "content_changed",
        brokenAt: { position: target.seq, id: target.id, type: target.type },
      });
      expect(result.stderr).toContain(`event ${target.seq} (id ${target.id}`);
    } finally {
      await sql`update audit_events set ip = ${original} where seq = ${target.seq}`.execute(t.database.db);
    }
    expect((await verify()).code).toBe(0);
  });

  it("names the event after one that was changed and re-hashed to match", async () => {
    const all = await rows();
    const target = all[3]!;
    const next = all[4]!;
    const row = (
      await sql<{
        id: string;
        type: string;
        user_id: string | null;
        actor_id: string | null;
        ip: string | null;
        user_agent: string | null;
        details: string;
        at: number;
        prev_hash: string;
      }>`select * from audit_events where seq = ${target.seq}`.execute(t.database.db)
    ).rows[0]!;
    const forged = { ...row, details: '{"forged":true}' };
    const forgedHash = hashAuditEvent(row.prev_hash, {
      id: forged.id,
      type: forged.type,
      userId: forged.user_id,
      actorId: forged.actor_id,
      ip: forged.ip,
      userAgent: forged.user_agent,
      details: forged.details,
      at: Number(forged.at),
    });
    await sql`update audit_events set details = ${forged.details}, hash = ${forgedHash} where seq = ${target.seq}`.execute(
      t.database.db,
    );
    try {
      const result = await verify();
      expect(result.code).toBe(1);
      expect(JSON.parse(result.stdout)).toMatchObject({
        reason: "link_broken",
        brokenAt: { position: next.seq, id: next.id },
        previous: { position: target.seq },
      });
    } finally {
      await sql`update audit_events set details = ${row.details}, hash = ${target.hash} where seq = ${target.seq}`.execute(
        t.database.db,
      );
    }
  });

  it("names the event after a removed one", async () => {
    const fresh = await createTestApp();
    try {
      const user = await createSignedInUser(fresh);
      await loginAs(fresh, user.email);
      await loginAs(fresh, user.email);
      const all = (
        await sql<Row>`select seq, id, type, hash from audit_events order by seq`.execute(fresh.database.db)
      ).rows;
      const removed = all[1]!;
      const after = all[2]!;
      await sql`delete from audit_events where seq = ${removed.seq}`.execute(fresh.database.db);
      const result = await runTypeScript(CLI_ENTRY, ["audit", "verify"], {
        cwd: fresh.dir,
        env: {
          DATABASE_URL: fresh.config.databaseUrl,
          PORTCULLIS_DATA_DIR: fresh.dir,
          PORTCULLIS_SECRET: TEST_SECRET,
          PORTCULLIS_PUBLIC_URL: PUBLIC_URL,
        },
        timeoutMs: CLI_TIMEOUT_MS,
      });
      expect(result.code).toBe(1);
      expect(JSON.parse(result.stdout)).toMatchObject({
        reason: "link_broken",
        brokenAt: { position: after.seq, id: after.id },
        previous: { position: all[0]!.seq },
      });
      expect(result.stderr).toMatch(/removed or rewritten/);
    } finally {
      await fresh.close();
    }
  });
});
