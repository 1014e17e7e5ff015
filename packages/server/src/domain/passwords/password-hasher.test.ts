import { performance } from "node:perf_hooks";
import { hash as argon2Hash } from "@node-rs/argon2";
import bcrypt from "bcryptjs";
import { describe, expect, it } from "vitest";
import { ServiceBusyError } from "../errors.js";
import { firebaseScryptHash } from "./imported-password-hashes.js";
import { createPasswordHasher, identifyPasswordHash, type PasswordHasherOptions } from "./password-hasher.js";

// Small argon2 parameters keep the suite fast; the defaults are asserted on their own below.
const FAST: PasswordHasherOptions = { maxConcurrent: 2, maxQueued: 100, memoryCost: 1024, timeCost: 1 };
const hasher = createPasswordHasher(FAST);

describe("createPasswordHasher › hash", () => {
  it("uses argon2id with the OWASP parameters by default, as a PHC string", async () => {
    const defaults = createPasswordHasher({ maxConcurrent: 1, maxQueued: 1 });
    const stored = await defaults.hash("correct horse battery staple");
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(defaults.needsRehash(stored)).toBe(false);
    expect(await defaults.verify(stored, "correct horse battery staple")).toEqual({
      valid: true,
      needsRehash: false,
    });
  });

  it("uses the parameters it was given", async () => {
    expect(await hasher.hash("correct horse battery staple")).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
  });

  it("salts every hash, so the same password hashes differently twice", async () => {
    const [first, second] = await Promise.all([hasher.hash("same password"), hasher.hash("same password")]);
    expect(first).not.toBe(second);
  });

  it("refuses invalid options at creation, listing every problem", () => {
    expect(() => createPasswordHasher({ maxConcurrent: 0, maxQueued: -1, timeCost: 0 })).toThrow(
      /maxConcurrent.*maxQueued.*timeCost/,
    );
  });
});

describe("createPasswordHasher › verify", () => {
  it("accepts the right password and refuses a wrong one", async () => {
    const stored = await hasher.hash("tangerine-otter-lamp");
    expect(await hasher.verify(stored, "tangerine-otter-lamp")).toEqual({ valid: true, needsRehash: false });
    expect(await hasher.verify(stored, "tangerine-otter-lamp ")).toEqual({
      valid: false,
      needsRehash: false,
    });
  });

  it("does not truncate: passwords sharing their first 72 bytes do not match each other's hash", async () => {
    const prefix = "x".repeat(72);
    const stored = await hasher.hash(`${prefix}A`);
    expect(await hasher.verify(stored, `${prefix}A`)).toMatchObject({ valid: true });
    expect(await hasher.verify(stored, `${prefix}B`)).toMatchObject({ valid: false });
    expect(await hasher.verify(stored, prefix)).toMatchObject({ valid: false });
  });

  it("does not truncate multi-byte passwords either (36 × 'é' = 72 UTF-8 bytes)", async () => {
    const prefix = "é".repeat(36);
    expect(Buffer.byteLength(prefix)).toBe(72);
    const stored = await hasher.hash(`${prefix}1`);
    expect(await hasher.verify(stored, `${prefix}2`)).toMatchObject({ valid: false });
  });

  it("handles a maximum-length password of 256 emoji (1,024 bytes)", async () => {
    const password = "🐴".repeat(256);
    const stored = await hasher.hash(password);
    expect(await hasher.verify(stored, password)).toMatchObject({ valid: true });
    expect(await hasher.verify(stored, `${"🐴".repeat(255)}🐎`)).toMatchObject({ valid: false });
  });

  it("verifies an argon2 hash made with other parameters and reports that it needs a rehash", async () => {
    const older = createPasswordHasher({ ...FAST, memoryCost: 2048 });
    const stored = await older.hash("tangerine-otter-lamp");
    expect(await hasher.verify(stored, "tangerine-otter-lamp")).toEqual({ valid: true, needsRehash: true });
    expect(await hasher.verify(stored, "wrong password")).toEqual({ valid: false, needsRehash: false });
  });

  it("reports a rehash for a hash with the current parameters but another digest length", async () => {
    const stored = await argon2Hash("tangerine-otter-lamp", {
      memoryCost: 1024,
      timeCost: 1,
      parallelism: 1,
      outputLen: 64,
    });
    expect(stored.startsWith("$argon2id$v=19$m=1024,t=1,p=1$")).toBe(true);
    expect(hasher.needsRehash(stored)).toBe(true);
    expect(await hasher.verify(stored, "tangerine-otter-lamp")).toEqual({ valid: true, needsRehash: true });
  });

  it("verifies an imported bcrypt hash and reports that it needs a rehash", async () => {
    const stored = bcrypt.hashSync("tangerine-otter-lamp", 4);
    expect(stored.startsWith("$2b$04$")).toBe(true);
    expect(await hasher.verify(stored, "tangerine-otter-lamp")).toEqual({ valid: true, needsRehash: true });
    expect(await hasher.verify(stored, "wrong password")).toEqual({ valid: false, needsRehash: false });
  });

  it.each(["$2a$", "$2y$"])("verifies imported bcrypt hashes with the %s prefix", async (prefix) => {
    const stored = bcrypt.hashSync("tangerine-otter-lamp", 4).replace("$2b$", prefix);
    expect(await hasher.verify(stored, "tangerine-otter-lamp")).toEqual({ valid: true, needsRehash: true });
  });

  it("upgrades bcrypt because bcrypt reads only 72 bytes: its hash matches any password with the same start", async () => {
    const prefix = "x".repeat(72);
    const stored = bcrypt.hashSync(`${prefix}A`, 4);
    expect(await hasher.verify(stored, `${prefix}B`)).toEqual({ valid: true, needsRehash: true });
  });

  it.each([
    ["an empty string", ""],
    ["plain text", "not a hash"],
    ["an unknown scheme", "$scrypt$ln=16,r=8,p=1$c2FsdA$aGFzaA"],
    ["an argon2 prefix alone", "$argon2id$"],
    ["an argon2 hash with a truncated digest", "$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$AAAA"],
    ["an argon2 hash with unparsable parameters", "$argon2id$v=19$m=abc,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g"],
    ["a truncated bcrypt hash", "$2b$04$tooShort"],
    ["an unsupported bcrypt revision", `$2x$04$${"a".repeat(53)}`],
  ])("returns invalid without throwing for %s", async (_label, stored) => {
    await expect(hasher.verify(stored, "tangerine-otter-lamp")).resolves.toEqual({
      valid: false,
      needsRehash: false,
    });
  });
});

describe("createPasswordHasher › imported hashes", () => {
  // Django's test suite, and the sample user of Firebase's README (see imported-password-hashes.test.ts).
  const django = "pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=";
  const firebase = firebaseScryptHash(
    {
      signerKey: "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==",
      saltSeparator: "Bw==",
      rounds: 8,
      memCost: 14,
    },
    "42xEC+ixf3L2lw==",
    "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==",
  ) as string;

  it.each([
    ["Django PBKDF2", django, "lètmein"],
    ["Firebase scrypt", firebase, "user1password"],
  ])("verifies %s and always asks for a rehash", async (_label, stored, password) => {
    expect(await hasher.verify(stored, password)).toEqual({ valid: true, needsRehash: true });
    expect(await hasher.verify(stored, `${password}!`)).toEqual({ valid: false, needsRehash: false });
    expect(hasher.needsRehash(stored)).toBe(true);
  });

  it("names the scheme of every hash it can verify, and nothing else", async () => {
    expect(identifyPasswordHash(await hasher.hash("tangerine-otter-lamp"))).toBe("argon2");
    expect(identifyPasswordHash(bcrypt.hashSync("tangerine-otter-lamp", 4))).toBe("bcrypt");
    expect(identifyPasswordHash(django)).toBe("pbkdf2");
    expect(identifyPasswordHash(firebase)).toBe("firebase-scrypt");
    expect(identifyPasswordHash("$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$AAAA")).toBeNull();
    expect(identifyPasswordHash("md5$$88a434c88cca4e900f7874cd98123f43")).toBeNull();
    expect(identifyPasswordHash("tangerine-otter-lamp")).toBeNull();
  });
});

describe("createPasswordHasher › needsRehash", () => {
  it("is false for a hash made with the current parameters", async () => {
    expect(hasher.needsRehash(await hasher.hash("tangerine-otter-lamp"))).toBe(false);
  });

  it.each([
    ["memoryCost", { memoryCost: 2048 }],
    ["timeCost", { timeCost: 2 }],
    ["parallelism", { parallelism: 2 }],
  ])("is true when %s differs", async (_label, change) => {
    const other = createPasswordHasher({ ...FAST, ...change });
    expect(hasher.needsRehash(await other.hash("tangerine-otter-lamp"))).toBe(true);
  });

  it("is true for argon2i and argon2d hashes with the same parameters", () => {
    const salt = "c29tZXNhbHRzb21lc2FsdA";
    const digest = "A".repeat(43);
    expect(hasher.needsRehash(`$argon2i$v=19$m=1024,t=1,p=1$${salt}$${digest}`)).toBe(true);
    expect(hasher.needsRehash(`$argon2d$v=19$m=1024,t=1,p=1$${salt}$${digest}`)).toBe(true);
    expect(hasher.needsRehash(`$argon2id$v=19$m=1024,t=1,p=1$${salt}$${digest}`)).toBe(false);
  });

  it("is true for any bcrypt hash", () => {
    expect(hasher.needsRehash(bcrypt.hashSync("tangerine-otter-lamp", 4))).toBe(true);
  });

  it("is false for garbage, which no password can match", () => {
    expect(hasher.needsRehash("not a hash")).toBe(false);
    expect(hasher.needsRehash("$argon2id$v=19$m=abc$x$y")).toBe(false);
  });
});

describe("createPasswordHasher › queue", () => {
  it("throws ServiceBusyError at once when the queue is full (1 running, 1 queued, 1 refused)", async () => {
    const tight = createPasswordHasher({ ...FAST, maxConcurrent: 1, maxQueued: 1 });
    const results = await Promise.allSettled([tight.hash("one"), tight.hash("two"), tight.hash("three")]);
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "fulfilled", "rejected"]);
    const refusal = results[2];
    expect(refusal?.status === "rejected" && refusal.reason).toBeInstanceOf(ServiceBusyError);
    expect(refusal?.status === "rejected" && (refusal.reason as ServiceBusyError).retryAfterSeconds).toBe(1);
  });

  it("accepts work again once the queue has drained", async () => {
    const tight = createPasswordHasher({ ...FAST, maxConcurrent: 1, maxQueued: 0 });
    const [first, second] = await Promise.allSettled([tight.hash("one"), tight.hash("two")]);
    expect(first?.status).toBe("fulfilled");
    expect(second?.status).toBe("rejected");
    await expect(tight.hash("three")).resolves.toMatch(/^\$argon2id\$/);
  });

  it("puts hash, verify and verifyDummy in the same queue", async () => {
    const tight = createPasswordHasher({ ...FAST, maxConcurrent: 1, maxQueued: 0 });
    const stored = await tight.hash("tangerine-otter-lamp");
    const results = await Promise.allSettled([
      tight.hash("one"),
      tight.verify(stored, "tangerine-otter-lamp"),
      tight.verify(bcrypt.hashSync("tangerine-otter-lamp", 4), "tangerine-otter-lamp"),
      tight.verifyDummy("tangerine-otter-lamp"),
    ]);
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "rejected", "rejected", "rejected"]);
    for (const result of results.slice(1)) {
      expect(result.status === "rejected" && result.reason).toBeInstanceOf(ServiceBusyError);
    }
  });

  it("with fewer threads than hashes in flight, hands each thread its next hash and keeps the bound", async () => {
    const held = createPasswordHasher({ ...FAST, threads: 1, maxConcurrent: 2, maxQueued: 1 });
    const passwords = ["one", "two", "three", "four"];
    const results = await Promise.allSettled(passwords.map((password) => held.hash(password)));
    // Two in flight on the one thread, one waiting, the fourth refused.
    expect(results.map((result) => result.status)).toEqual([
      "fulfilled",
      "fulfilled",
      "fulfilled",
      "rejected",
    ]);
    for (const [i, result] of results.slice(0, 3).entries()) {
      if (result.status !== "fulfilled") throw new Error("expected a hash");
      await expect(held.verify(result.value, passwords[i] ?? "")).resolves.toEqual({
        valid: true,
        needsRehash: false,
      });
    }
  });

  it("refuses a thread count below 1", () => {
    expect(() => createPasswordHasher({ ...FAST, threads: 0 })).toThrow(/threads/);
  });

  it("runs queued work in arrival order", async () => {
    const serial = createPasswordHasher({ ...FAST, maxConcurrent: 1, maxQueued: 10 });
    const finished: number[] = [];
    await Promise.all([0, 1, 2, 3, 4].map((n) => serial.hash(`password ${n}`).then(() => finished.push(n))));
    expect(finished).toEqual([0, 1, 2, 3, 4]);
  });
});

describe("createPasswordHasher › verifyDummy", () => {
  it("resolves without revealing anything, on the first call and after", async () => {
    const fresh = createPasswordHasher(FAST);
    await expect(fresh.verifyDummy("tangerine-otter-lamp")).resolves.toBeUndefined();
    await expect(fresh.verifyDummy("tangerine-otter-lamp")).resolves.toBeUndefined();
  });

  it("takes about as long as verifying a real password with the default parameters", async () => {
    // Default parameters, so each call does enough work (~20 ms) to rise above scheduler noise
    // on a busy machine; calls are interleaved so a slow spell hits both sides alike.
    const defaults = createPasswordHasher({ maxConcurrent: 1, maxQueued: 1 });
    const stored = await defaults.hash("tangerine-otter-lamp");
    await defaults.verifyDummy("warm-up");
    await defaults.verify(stored, "warm-up");

    const time = async (work: () => Promise<unknown>): Promise<number> => {
      const start = performance.now();
      await work();
      return performance.now() - start;
    };
    const real: number[] = [];
    const dummy: number[] = [];
    for (let run = 0; run < 7; run++) {
      real.push(await time(() => defaults.verify(stored, "wrong-password")));
      dummy.push(await time(() => defaults.verifyDummy("wrong-password")));
    }
    const median = (values: number[]): number => values.toSorted((a, b) => a - b)[values.length >> 1] ?? 0;
    const ratio = median(dummy) / median(real);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });
});
