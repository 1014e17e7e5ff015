/**
 * Imported bcrypt and PBKDF2 hashes (and argon2 hashes with outdated parameters) sign their owner
 * in, and the stored hash is transparently replaced by an argon2id hash with the current
 * parameters at that login; afterwards the same password still works.
 */
import { pbkdf2Sync } from "node:crypto";
import bcrypt from "bcryptjs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, uniqueEmail } from "../support/test-app.js";

let t: TestApp;

beforeEach(async () => {
  t = await createTestApp();
});
afterEach(async () => {
  await t.close();
});

async function storedHash(email: string): Promise<string | null> {
  const row = await t.database.db
    .selectFrom("users")
    .select("password_hash")
    .where("email", "=", email)
    .executeTakeFirst();
  return row?.password_hash ?? null;
}

async function importUser(email: string, passwordHash: string): Promise<void> {
  await t.database.db
    .insertInto("users")
    .values({
      id: `imported-${email}`,
      email,
      email_verified: 1,
      name: null,
      password_hash: passwordHash,
      roles: '["user"]',
      disabled_at: null,
      created_at: Date.now(),
      updated_at: Date.now(),
    })
    .execute();
}

describe("password hash upgrade", () => {
  it("signs in a user with an imported bcrypt hash and upgrades it to argon2id", async () => {
    const email = uniqueEmail("bcrypt");
    await importUser(email, bcrypt.hashSync("legacy-Passphrase-9", 4));

    const login = await t.post("/v1/auth/login", { email, password: "legacy-Passphrase-9" });
    expect(login.statusCode).toBe(200);
    expect(await storedHash(email)).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);

    const again = await t.post("/v1/auth/login", { email, password: "legacy-Passphrase-9" });
    expect(again.statusCode).toBe(200);
  });

  it("refuses a wrong password against a bcrypt hash and leaves the hash alone", async () => {
    const email = uniqueEmail("bcrypt");
    const legacy = bcrypt.hashSync("legacy-Passphrase-9", 4);
    await importUser(email, legacy);

    const login = await t.post("/v1/auth/login", { email, password: "legacy-Passphrase-8" });
    expect(login.statusCode).toBe(401);
    expect(login.json().code).toBe("invalid_credentials");
    expect(await storedHash(email)).toBe(legacy);
  });

  it("accepts a bcrypt hash made from a password that NFKC normalisation would change", async () => {
    const email = uniqueEmail("bcrypt");
    const raw = "ｆｕｌｌｗｉｄｔｈ-Passphrase";
    await importUser(email, bcrypt.hashSync(raw, 4));

    expect((await t.post("/v1/auth/login", { email, password: raw })).statusCode).toBe(200);
    expect(await storedHash(email)).toMatch(/^\$argon2id\$/);
    // The upgraded hash holds the normalised form, which both spellings map to.
    expect((await t.post("/v1/auth/login", { email, password: raw })).statusCode).toBe(200);
    expect((await t.post("/v1/auth/login", { email, password: raw.normalize("NFKC") })).statusCode).toBe(200);
  });

  it("accepts a Django PBKDF2 hash made from a password that NFKC normalisation would change, and upgrades it", async () => {
    const email = uniqueEmail("django");
    const raw = "ｆｕｌｌｗｉｄｔｈ-Passphrase";
    const digest = pbkdf2Sync(raw, "seasalt", 1_000, 32, "sha256").toString("base64");
    await importUser(email, `pbkdf2_sha256$1000$seasalt$${digest}`);

    expect((await t.post("/v1/auth/login", { email, password: `${raw}x` })).statusCode).toBe(401);
    expect((await t.post("/v1/auth/login", { email, password: raw })).statusCode).toBe(200);
    expect(await storedHash(email)).toMatch(/^\$argon2id\$/);
    expect((await t.post("/v1/auth/login", { email, password: raw.normalize("NFKC") })).statusCode).toBe(200);
  });

  it("upgrades an argon2id hash whose parameters are outdated", async () => {
    const email = uniqueEmail("argon");
    const { hash } = await import("@node-rs/argon2");
    await importUser(
      email,
      await hash("older-Params-Passphrase", { memoryCost: 512, timeCost: 1, parallelism: 1 }),
    );

    expect((await t.post("/v1/auth/login", { email, password: "older-Params-Passphrase" })).statusCode).toBe(
      200,
    );
    expect(await storedHash(email)).toMatch(/\$m=1024,t=1,p=1\$/);
  });
});
