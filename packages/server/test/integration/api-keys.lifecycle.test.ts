/**
 * Invariant: an API key is shown once, stored only as a hash, belongs to the signed-in user who
 * made it (never to a user named in the request), authenticates only through `X-API-Key` and only
 * while it is live: a revoked, expired or unknown key, a key whose owner is disabled or deleted,
 * and a key put in the query string all authenticate nobody (401 `invalid_api_key`, or
 * `unauthenticated` when no credential was sent at all). Its `lastUsedAt` is written in batches,
 * not per request (API.md "API keys"; security.md §2.8 item 30; ASVS 14.2.1).
 */
import { rmSync } from "node:fs";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSqlDatabase } from "../../src/store/sql/database.js";
import {
  apiKeyHeader,
  type CreatedApiKey,
  createAdmin,
  createApiKey,
  createSignedInUser,
  type SignedIn,
  send,
} from "../support/accounts.js";
import { expectProblem } from "../support/problem-assertions.js";
import { createManualClock, createTestApp, type TestApp } from "../support/test-app.js";

const API_KEY_FIELDS = ["createdAt", "expiresAt", "id", "lastUsedAt", "name", "prefix", "scopes"];

describe("API keys", () => {
  let t: TestApp;
  let owner: SignedIn;
  const clock = createManualClock(Date.now());

  beforeAll(async () => {
    t = await createTestApp({ clock });
    owner = await createSignedInUser(t);
  });
  afterAll(() => t.close());

  const me = (key: string) => send(t, "GET", "/v1/me", apiKeyHeader(key));
  const listKeys = async (who: SignedIn) => {
    const response = await send(t, "GET", "/v1/api-keys", who.headers);
    expect(response.statusCode, response.body).toBe(200);
    return { body: response.body, keys: response.json<{ apiKeys: CreatedApiKey["apiKey"][] }>().apiKeys };
  };

  it("goes through its life: create → use on /v1/me → listed without the key → revoke → 401 invalid_api_key", async () => {
    const created = await send(t, "POST", "/v1/api-keys", owner.headers, { name: "deploy bot" });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.headers["cache-control"]).toMatch(/no-store/);
    const { apiKey, key } = created.json<CreatedApiKey>();
    expect(key).toMatch(/^pc_[A-Za-z0-9_-]{32,}$/);
    expect(Object.keys(apiKey).sort()).toEqual(API_KEY_FIELDS);
    expect(apiKey).toMatchObject({ name: "deploy bot", scopes: [], expiresAt: null, lastUsedAt: null });
    expect(key.startsWith(apiKey.prefix)).toBe(true);

    const used = await me(key);
    expect(used.statusCode, used.body).toBe(200);
    expect(used.json<{ user: { id: string } }>().user.id).toBe(owner.user.id);

    const listed = await listKeys(owner);
    expect(listed.keys.map((listedKey) => listedKey.id)).toContain(apiKey.id);
    expect(listed.body).not.toContain(key);
    expect(listed.body).not.toContain(key.slice(apiKey.prefix.length + 1));
    for (const listedKey of listed.keys) expect(Object.keys(listedKey).sort()).toEqual(API_KEY_FIELDS);

    const revoked = await send(t, "DELETE", `/v1/api-keys/${apiKey.id}`, owner.headers);
    expect(revoked.statusCode, revoked.body).toBe(204);
    const refused = await me(key);
    expectProblem(refused, 401, "invalid_api_key");
    expect(refused.headers["www-authenticate"]).toMatch(/error="invalid_api_key"/);
    expect((await listKeys(owner)).keys.map((listedKey) => listedKey.id)).not.toContain(apiKey.id);
    expectProblem(await send(t, "DELETE", `/v1/api-keys/${apiKey.id}`, owner.headers), 404, "not_found");
  });

  it("stores only the key's SHA-256, never the key", async () => {
    const { apiKey, key } = await createApiKey(t, owner);
    const row = await sql<Record<string, unknown>>`select * from api_keys where id = ${apiKey.id}`.execute(
      t.database.db,
    );
    const stored = JSON.stringify(row.rows);
    expect(stored).not.toContain(key);
    expect(stored).not.toContain(key.slice(apiKey.prefix.length + 1));
    expect(row.rows[0]?.key_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses an expired key with 401 invalid_api_key", async () => {
    const expiresAt = new Date(clock.now() + 60_000).toISOString();
    const { apiKey, key } = await createApiKey(t, owner, { name: "short-lived", expiresAt });
    expect(apiKey.expiresAt).toBe(expiresAt);
    expect((await me(key)).statusCode).toBe(200);
    clock.advance(60_000);
    expectProblem(await me(key), 401, "invalid_api_key");
  });

  it("refuses an expiry in the past or not a date with 400 validation_failed", async () => {
    for (const expiresAt of [
      new Date(clock.now() - 1000).toISOString(),
      "tomorrow",
      "2030-13-45T00:00:00Z",
    ]) {
      const response = await send(t, "POST", "/v1/api-keys", owner.headers, { name: "x", expiresAt });
      const problem = expectProblem(response, 400, "validation_failed");
      expect(problem.errors?.[0]?.pointer).toBe("/expiresAt");
    }
  });

  it("refuses unknown, malformed and guessed keys with 401 invalid_api_key", async () => {
    const { key, apiKey } = await createApiKey(t, owner);
    const wrongSecret = `${apiKey.prefix}_${"A".repeat(43)}`;
    for (const candidate of [
      `pc_AAAAAAAAAAAA_${"B".repeat(43)}`,
      wrongSecret,
      "pc_short",
      "not-a-key",
      `${key}x`,
    ]) {
      expectProblem(await me(candidate), 401, "invalid_api_key");
    }
  });

  it("ignores a key in the query string: no credential is 401 unauthenticated", async () => {
    const { key } = await createApiKey(t, owner);
    for (const parameter of ["api_key", "apiKey", "key", "x-api-key", "X-API-Key"]) {
      expectProblem(await send(t, "GET", `/v1/me?${parameter}=${key}`), 401, "unauthenticated");
    }
  });

  it("is accepted only where a route allows it (GET /v1/me yes; PATCH /v1/me, the key routes no)", async () => {
    const { key } = await createApiKey(t, owner);
    expectProblem(await send(t, "PATCH", "/v1/me", apiKeyHeader(key), { name: "x" }), 401, "unauthenticated");
    expectProblem(await send(t, "GET", "/v1/api-keys", apiKeyHeader(key)), 401, "unauthenticated");
    expectProblem(
      await send(t, "POST", "/v1/api-keys", apiKeyHeader(key), { name: "child" }),
      401,
      "unauthenticated",
    );
  });

  it("refuses the key of a deleted user", async () => {
    const admin = await createAdmin(t);
    const doomed = await createSignedInUser(t);
    const { key } = await createApiKey(t, doomed);
    expect((await me(key)).statusCode).toBe(200);
    expect((await send(t, "DELETE", `/v1/admin/users/${doomed.user.id}`, admin.headers)).statusCode).toBe(
      204,
    );
    expectProblem(await me(key), 401, "invalid_api_key");
  });

  it("is always created for the signed-in user: a userId in the body is refused, not trusted", async () => {
    const other = await createSignedInUser(t);
    for (const body of [
      { name: "mine", userId: other.user.id },
      { name: "mine", user: other.user.id },
      { name: "mine", ownerId: other.user.id },
    ]) {
      expectProblem(await send(t, "POST", "/v1/api-keys", owner.headers, body), 400, "validation_failed");
    }
    expectProblem(
      await send(t, "POST", "/v1/api-keys", {}, { name: "x", userId: other.user.id }),
      401,
      "unauthenticated",
    );
    expect((await listKeys(other)).keys).toEqual([]);
  });

  it("cannot be revoked, nor seen, by another user", async () => {
    const other = await createSignedInUser(t);
    const { apiKey, key } = await createApiKey(t, owner);
    expectProblem(await send(t, "DELETE", `/v1/api-keys/${apiKey.id}`, other.headers), 404, "not_found");
    expect((await listKeys(other)).keys).toEqual([]);
    expect((await me(key)).statusCode).toBe(200);
  });

  it("validates names and scopes", async () => {
    for (const body of [
      {},
      { name: "" },
      { name: "   " },
      { name: "x".repeat(101) },
      { name: "x", scopes: ["has space"] },
      { name: "x", scopes: ["a", "a"] },
      { name: "x", scopes: "admin:read" },
    ]) {
      expectProblem(await send(t, "POST", "/v1/api-keys", owner.headers, body), 400, "validation_failed");
    }
    const { apiKey } = await createApiKey(t, owner, {
      name: "scoped",
      scopes: ["events:read", "billing:write"],
    });
    expect(apiKey.scopes).toEqual(["events:read", "billing:write"]);
  });

  it("writes lastUsedAt in batches: nothing per request, the latest use after a flush", async () => {
    const { apiKey, key } = await createApiKey(t, owner);
    const lastUsed = async () =>
      (
        await sql<{
          last_used_at: number | null;
        }>`select last_used_at from api_keys where id = ${apiKey.id}`.execute(t.database.db)
      ).rows[0]?.last_used_at ?? null;

    expect((await me(key)).statusCode).toBe(200);
    clock.advance(5_000);
    expect((await me(key)).statusCode).toBe(200);
    const usedAt = clock.now();
    expect(await lastUsed()).toBeNull();

    expect(await t.services.apiKeys.flushLastUsed()).toBeGreaterThanOrEqual(1);
    expect(Number(await lastUsed())).toBe(usedAt);
    const listed = (await listKeys(owner)).keys.find((listedKey) => listedKey.id === apiKey.id);
    expect(listed?.lastUsedAt).toBe(new Date(usedAt).toISOString());
    expect(await t.services.apiKeys.flushLastUsed()).toBe(0);
  });

  it("writes the uses not yet flushed when the server closes, before its database closes", async () => {
    const server = await createTestApp();
    // As createServer does: the database closes in a root onClose hook.
    server.app.addHook("onClose", () => server.database.close());
    const user = await createSignedInUser(server);
    const { apiKey, key } = await createApiKey(server, user);
    expect((await send(server, "GET", "/v1/me", apiKeyHeader(key))).statusCode).toBe(200);
    await server.app.close();

    const reopened = await openSqlDatabase(server.config.databaseUrl);
    try {
      const row = await sql<{
        last_used_at: number | null;
      }>`select last_used_at from api_keys where id = ${apiKey.id}`.execute(reopened.db);
      expect(row.rows[0]?.last_used_at).not.toBeNull();
    } finally {
      await reopened.close();
      rmSync(server.dir, { recursive: true, force: true });
    }
  });
});
