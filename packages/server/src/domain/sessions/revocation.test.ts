import { describe, expect, it } from "vitest";
import { createManualClock, toSeconds } from "../clock.js";
import { createRevocationSet } from "./revocation.js";

const RETENTION_MS = (900 + 60) * 1000;

function setUp() {
  const clock = createManualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  const revocations = createRevocationSet({ clock, retentionMs: RETENTION_MS });
  return { clock, revocations };
}

describe("createRevocationSet › sessions", () => {
  it("refuses every token naming a revoked session, whenever it was issued", () => {
    const { clock, revocations } = setUp();
    const now = clock.now();
    revocations.apply({ kind: "session", sessionId: "s1", at: now });

    expect(revocations.isRevoked("s1", "u1", toSeconds(now) - 600)).toBe(true);
    expect(revocations.isRevoked("s1", "u1", toSeconds(now))).toBe(true);
    expect(revocations.isRevoked("s1", "u1", toSeconds(now) + 600)).toBe(true);
  });

  it("leaves the user's other sessions alone", () => {
    const { clock, revocations } = setUp();
    revocations.apply({ kind: "session", sessionId: "s1", at: clock.now() });

    expect(revocations.isRevoked("s2", "u1", toSeconds(clock.now()) - 1)).toBe(false);
  });

  it("counts a session revoked twice once", () => {
    const { clock, revocations } = setUp();
    revocations.apply({ kind: "session", sessionId: "s1", at: clock.now() });
    revocations.apply({ kind: "session", sessionId: "s1", at: clock.now() + 10 });

    expect(revocations.size).toBe(1);
  });

  it("treats ids such as __proto__ and constructor as ordinary ids", () => {
    const { clock, revocations } = setUp();
    const iat = toSeconds(clock.now());

    expect(revocations.isRevoked("__proto__", "constructor", iat)).toBe(false);
    expect(revocations.isRevoked("toString", "hasOwnProperty", iat)).toBe(false);
    revocations.apply({ kind: "session", sessionId: "__proto__", at: clock.now() });
    expect(revocations.isRevoked("__proto__", "u1", iat)).toBe(true);
    expect(revocations.isRevoked("s1", "u1", iat)).toBe(false);
  });
});

describe("createRevocationSet › users (not before)", () => {
  it("refuses the user's tokens issued before the revocation and accepts those issued after it", () => {
    const { clock, revocations } = setUp();
    const issuedBefore = toSeconds(clock.now());
    clock.advance(5_000);
    revocations.apply({ kind: "user", userId: "u1", at: clock.now() });
    clock.advance(5_000);
    const issuedAfter = toSeconds(clock.now());

    expect(revocations.isRevoked("s1", "u1", issuedBefore)).toBe(true);
    expect(revocations.isRevoked("s2", "u1", issuedAfter)).toBe(false);
  });

  it("refuses a token issued earlier within the same second as the revocation (iat has whole seconds)", () => {
    const { clock, revocations } = setUp();
    const issuedAt = toSeconds(clock.now()); // issued at hh:mm:ss.000
    clock.advance(400);
    revocations.apply({ kind: "user", userId: "u1", at: clock.now() }); // revoked at hh:mm:ss.400

    expect(revocations.isRevoked("s1", "u1", issuedAt)).toBe(true);
  });

  it("accepts a token whose iat is exactly the revocation instant", () => {
    const { clock, revocations } = setUp();
    revocations.apply({ kind: "user", userId: "u1", at: clock.now() });

    expect(revocations.isRevoked("s1", "u1", toSeconds(clock.now()))).toBe(false);
  });

  it("does not touch other users", () => {
    const { clock, revocations } = setUp();
    const iat = toSeconds(clock.now());
    clock.advance(5_000);
    revocations.apply({ kind: "user", userId: "u1", at: clock.now() });

    expect(revocations.isRevoked("s9", "u2", iat)).toBe(false);
  });

  it("moves not-before forward only: an older event arriving late does not re-admit tokens", () => {
    const { clock, revocations } = setUp();
    const start = clock.now();
    revocations.apply({ kind: "user", userId: "u1", at: start + 10_000 });
    revocations.apply({ kind: "user", userId: "u1", at: start + 2_000 });

    expect(revocations.isRevoked("s1", "u1", toSeconds(start + 5_000))).toBe(true);
    expect(revocations.size).toBe(1);
  });
});

describe("createRevocationSet › prune", () => {
  it("keeps entries while an unexpired access token could still name them", () => {
    const { clock, revocations } = setUp();
    const revokedAt = clock.now();
    revocations.apply({ kind: "session", sessionId: "s1", at: revokedAt });
    revocations.apply({ kind: "user", userId: "u1", at: revokedAt });

    clock.advance(RETENTION_MS);
    revocations.prune();

    expect(revocations.size).toBe(2);
    expect(revocations.isRevoked("s1", "u9", toSeconds(revokedAt))).toBe(true);
    expect(revocations.isRevoked("s2", "u1", toSeconds(revokedAt) - 1)).toBe(true);
  });

  it("forgets entries once the retention has passed, and only those", () => {
    const { clock, revocations } = setUp();
    const start = clock.now();
    revocations.apply({ kind: "session", sessionId: "old-session", at: start });
    revocations.apply({ kind: "user", userId: "old-user", at: start });
    clock.advance(60_000);
    revocations.apply({ kind: "session", sessionId: "new-session", at: clock.now() });

    clock.set(start + RETENTION_MS + 1);
    revocations.prune();

    expect(revocations.size).toBe(1);
    expect(revocations.isRevoked("old-session", "u9", toSeconds(clock.now()))).toBe(false);
    expect(revocations.isRevoked("s9", "old-user", toSeconds(start) - 1)).toBe(false);
    expect(revocations.isRevoked("new-session", "u9", toSeconds(clock.now()))).toBe(true);
  });

  it("reports its size as revoked sessions plus cut-off users", () => {
    const { clock, revocations } = setUp();
    expect(revocations.size).toBe(0);
    revocations.apply({ kind: "session", sessionId: "s1", at: clock.now() });
    revocations.apply({ kind: "session", sessionId: "s2", at: clock.now() });
    revocations.apply({ kind: "user", userId: "u1", at: clock.now() });

    expect(revocations.size).toBe(3);
  });
});
