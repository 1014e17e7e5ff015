import bcrypt from "bcryptjs";
import { describe, expect, it } from "vitest";
import { checkImportRecord, type ImportRecord } from "./user-import.js";

const NOW = Date.parse("2025-06-01T12:00:00Z");
const OPTIONS = { knownRoles: ["user", "admin", "editor"], now: NOW };
const BCRYPT = bcrypt.hashSync("tangerine-otter-lamp", 4);
const DJANGO = "pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=";

const check = (record: ImportRecord) => checkImportRecord(record, OPTIONS);

describe("checkImportRecord", () => {
  it("normalises the address and fills the defaults: unverified, role user, no password", () => {
    expect(check({ email: "  Ada@Example.COM " })).toEqual({
      ok: true,
      user: {
        email: "ada@example.com",
        emailVerified: false,
        name: null,
        roles: ["user"],
        createdAt: null,
        passwordHash: null,
        disabled: false,
        totpSecret: null,
        identities: [],
      },
    });
  });

  it("keeps every field it is given", () => {
    const checked = check({
      email: "grace@example.com",
      emailVerified: true,
      name: "  Grace Hopper ",
      roles: ["user", "editor", "editor"],
      createdAt: "2019-03-04T05:06:07.890Z",
      passwordHash: BCRYPT,
      disabled: true,
      totpSecret: "jbsw y3dp ehpk 3pxp",
      identities: [{ provider: "github", subject: "583231" }],
    });
    expect(checked.ok && checked.user).toMatchObject({
      emailVerified: true,
      name: "Grace Hopper",
      roles: ["user", "editor"],
      createdAt: Date.parse("2019-03-04T05:06:07.890Z"),
      passwordHash: BCRYPT,
      disabled: true,
      identities: [{ provider: "github", subject: "583231" }],
    });
    expect(checked.ok && Buffer.from(checked.user.totpSecret ?? []).toString("latin1")).toBe(
      "Hello!\u00de\u00ad\u00be\u00ef",
    );
  });

  it("takes a creation time as milliseconds, as a number or digits", () => {
    expect(check({ email: "a@example.com", createdAt: 1508893925000 })).toMatchObject({
      user: { createdAt: 1508893925000 },
    });
    expect(check({ email: "a@example.com", createdAt: "1508893925000" })).toMatchObject({
      user: { createdAt: 1508893925000 },
    });
  });

  it("accepts Django's spellings of argon2 and bcrypt and stores the standard string", () => {
    const argon2 = "$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q";
    expect(check({ email: "a@example.com", passwordHash: `argon2${argon2}` })).toMatchObject({
      user: { passwordHash: argon2 },
    });
    expect(check({ email: "a@example.com", passwordHash: `bcrypt$${BCRYPT}` })).toMatchObject({
      user: { passwordHash: BCRYPT },
    });
    expect(check({ email: "a@example.com", passwordHash: DJANGO })).toMatchObject({
      user: { passwordHash: DJANGO },
    });
  });

  it("imports a Django account without a usable password as one without a password", () => {
    expect(check({ email: "a@example.com", passwordHash: "!Qm9ndXNIYXNo" })).toMatchObject({
      user: { passwordHash: null },
    });
  });

  it.each<[string, ImportRecord, string, RegExp]>([
    ["a missing address", { name: "x" }, "invalid_email", /missing/],
    ["an invalid address", { email: "not-an-address" }, "invalid_email", /valid/],
    ["an unknown role", { email: "a@example.com", roles: ["user", "root"] }, "unknown_role", /root/],
    ["roles that are not a list", { email: "a@example.com", roles: "admin" }, "invalid_field", /^roles/],
    [
      "an unknown hash",
      { email: "a@example.com", passwordHash: "md5$$88a434c88cca4e900f7874cd98123f43" },
      "unknown_hash_format",
      /passwordHash/,
    ],
    [
      "a plain-text password",
      { email: "a@example.com", passwordHash: "hunter22" },
      "unknown_hash_format",
      /passwordHash/,
    ],
    [
      "a string where a boolean belongs",
      { email: "a@example.com", emailVerified: "yes" },
      "invalid_field",
      /^emailVerified/,
    ],
    [
      "a creation time in the future",
      { email: "a@example.com", createdAt: "2030-01-01T00:00:00Z" },
      "invalid_field",
      /future/,
    ],
    [
      "a creation time that is not a time",
      { email: "a@example.com", createdAt: "yesterday" },
      "invalid_field",
      /^createdAt/,
    ],
    ["an over-long name", { email: "a@example.com", name: "x".repeat(201) }, "invalid_field", /^name/],
    [
      "a name with a control character",
      { email: "a@example.com", name: "a\u0007b" },
      "invalid_field",
      /^name/,
    ],
    [
      "a TOTP secret that is not base32",
      { email: "a@example.com", totpSecret: "0189" },
      "invalid_field",
      /^totpSecret/,
    ],
    [
      "a TOTP secret under 80 bits",
      { email: "a@example.com", totpSecret: "JBSWY3DP" },
      "invalid_field",
      /^totpSecret/,
    ],
    [
      "an identity without a subject",
      { email: "a@example.com", identities: [{ provider: "github" }] },
      "invalid_field",
      /^identities/,
    ],
    [
      "an identity of a malformed provider",
      { email: "a@example.com", identities: [{ provider: "Git Hub", subject: "1" }] },
      "invalid_field",
      /^identities/,
    ],
  ])("refuses %s with a stable reason", (_label, record, reason, detail) => {
    const checked = check(record);
    expect(checked.ok).toBe(false);
    expect(!checked.ok && checked.reason).toBe(reason);
    expect(!checked.ok && checked.detail).toMatch(detail);
  });

  it("names the address of a refused record when it has a valid one, and never echoes the hash", () => {
    const checked = check({ email: "Bob@Example.com", passwordHash: "$argon2id$v=19$m=1,t=1,p=1$bad$bad" });
    expect(checked).toMatchObject({ ok: false, reason: "unknown_hash_format", email: "bob@example.com" });
    expect(JSON.stringify(checked)).not.toContain("$argon2id$");
  });
});
