import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Persistence } from "../../domain/persistence.js";
import { openSqlDatabase, type SqlDatabase } from "./database.js";
import { createSqlPersistence } from "./sql-persistence.js";

const NOW = 1_800_000_000_000;
const DAY = 86_400_000;

let dir: string;
let database: SqlDatabase;
let persistence: Persistence;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "portcullis-rotation-batch-"));
  database = await openSqlDatabase(`sqlite:${join(dir, "batch.db")}`);
  persistence = createSqlPersistence(database);
});

afterEach(async () => {
  await database.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A user with `count` token sessions, each holding the live refresh token `token-<user>-<i>`. */
async function userWithTokens(user: string, count: number): Promise<string[]> {
  await database.db
    .insertInto("users")
    .values({
      id: user,
      email: `${user}@example.com`,
      email_verified: 1,
      name: null,
      password_hash: null,
      roles: '["user"]',
      disabled_at: null,
      created_at: NOW,
      updated_at: NOW,
    })
    .execute();
  const hashes: string[] = [];
  for (let i = 0; i < count; i++) {
    const sessionId = `session-${user}-${i}`;
    await persistence.sessions.insertSession({
      id: sessionId,
      userId: user,
      transport: "token",
      createdAt: NOW,
      lastSeenAt: NOW,
      expiresAt: NOW + DAY,
      revokedAt: null,
      ip: null,
      userAgent: null,
      amr: ["pwd"],
      authTime: NOW / 1000,
      rememberMe: false,
      idleExpiresAt: null,
    });
    const tokenHash = `token-${user}-${i}`;
    await persistence.sessions.insertRefreshToken({
      id: `id-${tokenHash}`,
      sessionId,
      tokenHash,
      createdAt: NOW,
      expiresAt: NOW + DAY,
      rotatedAt: null,
    });
    hashes.push(tokenHash);
  }
  return hashes;
}

const successorOf = (hash: string, attempt = 0) => ({
  id: `id-next-${hash}-${attempt}`,
  tokenHash: `next-${hash}-${attempt}`,
});

describe("SQLite refresh rotations in group commits", () => {
  it("rotates many tokens asked for in one turn, each with its session and user", async () => {
    const hashes = await userWithTokens("ada", 20);
    const rotated = await Promise.all(
      hashes.map((hash) => persistence.sessions.rotateLiveRefreshToken(hash, successorOf(hash), NOW + 1)),
    );
    expect(rotated.map((result) => result?.session.id)).toEqual(hashes.map((_, i) => `session-ada-${i}`));
    expect(
      rotated.every((result) => result?.user.id === "ada" && result.session.lastSeenAt === NOW + 1),
    ).toBe(true);
    // Committed: each successor is live, each presented token rotated.
    for (const hash of hashes) {
      expect(
        (await persistence.sessions.findRefreshTokenByHash(`next-${hash}-0`))?.token.rotatedAt,
      ).toBeNull();
      expect((await persistence.sessions.findRefreshTokenByHash(hash))?.token.rotatedAt).toBe(NOW + 1);
    }
  });

  it("lets exactly one of the same turn's rotations with one token claim it", async () => {
    const [hash = ""] = await userWithTokens("bea", 1);
    const attempts = await Promise.all(
      [0, 1, 2, 3, 4].map((attempt) =>
        persistence.sessions.rotateLiveRefreshToken(hash, successorOf(hash, attempt), NOW + 1),
      ),
    );
    expect(attempts.filter((result) => result !== undefined)).toHaveLength(1);
    expect(attempts[0]).toBeDefined();
    expect(await persistence.sessions.findRefreshTokenByHash(`next-${hash}-1`)).toBeUndefined();
  });

  it("fails one rotation alone: the others of its batch are committed", async () => {
    const hashes = await userWithTokens("cy", 3);
    const [first = "", second = "", third = ""] = hashes;
    // The second's successor takes the hash of a token that exists: a unique violation.
    const results = await Promise.allSettled([
      persistence.sessions.rotateLiveRefreshToken(first, successorOf(first), NOW + 1),
      persistence.sessions.rotateLiveRefreshToken(second, { id: "id-clash", tokenHash: third }, NOW + 1),
      persistence.sessions.rotateLiveRefreshToken(third, successorOf(third), NOW + 1),
    ]);
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((await persistence.sessions.findRefreshTokenByHash(first))?.token.rotatedAt).toBe(NOW + 1);
    // The failed one's claim was rolled back with its savepoint: the token is still live.
    expect((await persistence.sessions.findRefreshTokenByHash(second))?.token.rotatedAt).toBeNull();
    expect(
      (await persistence.sessions.findRefreshTokenByHash(`next-${third}-0`))?.token.rotatedAt,
    ).toBeNull();
  });

  it("rotates inside a transaction as part of it: rolled back with it, committed with it", async () => {
    const [hash = ""] = await userWithTokens("eve", 1);
    await expect(
      persistence.transaction(async (stores) => {
        const rotated = await stores.sessions.rotateLiveRefreshToken(hash, successorOf(hash), NOW + 1);
        expect(rotated?.session.id).toBe("session-eve-0");
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    expect((await persistence.sessions.findRefreshTokenByHash(hash))?.token.rotatedAt).toBeNull();
    expect(await persistence.sessions.findRefreshTokenByHash(`next-${hash}-0`)).toBeUndefined();

    const committed = await persistence.transaction((stores) =>
      stores.sessions.rotateLiveRefreshToken(hash, successorOf(hash, 1), NOW + 2),
    );
    expect(committed?.user.id).toBe("eve");
    expect((await persistence.sessions.findRefreshTokenByHash(hash))?.token.rotatedAt).toBe(NOW + 2);
  });

  it("refuses a token of a revoked session", async () => {
    const [hash = ""] = await userWithTokens("dee", 1);
    await persistence.sessions.revokeSession("session-dee-0", NOW, "logout");
    await expect(
      persistence.sessions.rotateLiveRefreshToken(hash, successorOf(hash), NOW + 1),
    ).resolves.toBeUndefined();
  });
});
