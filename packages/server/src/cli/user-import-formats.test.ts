import { describe, expect, it } from "vitest";
import type { FirebaseHashParameters } from "../domain/passwords/imported-password-hashes.js";
import {
  escapeCsvText,
  ImportFileError,
  type ImportFormat,
  readImportRecords,
  type SourceItem,
} from "./user-import-formats.js";

// github.com/firebase/scrypt README: the sample project and its user1@test.com.
const FIREBASE: FirebaseHashParameters = {
  signerKey: "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==",
  saltSeparator: "Bw==",
  rounds: 8,
  memCost: 14,
};
const FIREBASE_HASH =
  "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==";
const FIREBASE_SALT = "42xEC+ixf3L2lw==";

async function read(
  text: string,
  format: ImportFormat,
  firebase: FirebaseHashParameters | null = null,
): Promise<SourceItem[]> {
  async function* chunks() {
    yield text;
  }
  const items: SourceItem[] = [];
  for await (const item of readImportRecords(chunks(), format, { firebase })) items.push(item);
  return items;
}

describe("readImportRecords › jsonl", () => {
  it("reads one object a line, skipping blank lines, with line numbers", async () => {
    const items = await read(
      '{"email":"a@example.com","roles":["admin"]}\n\n{"email":"b@example.com"}\n',
      "jsonl",
    );
    expect(items).toEqual([
      { line: 1, record: { email: "a@example.com", roles: ["admin"], passwordHash: undefined } },
      { line: 3, record: { email: "b@example.com", passwordHash: undefined } },
    ]);
  });

  it.each([
    ["not JSON", "{email:", "malformed_line"],
    ["an array", "[1,2]", "malformed_line"],
    ["a misspelt field", '{"email":"a@example.com","password_hash":"$2b$…"}', "unknown_field"],
    ["a prototype key", '{"email":"a@example.com","__proto__":{"admin":true}}', "unknown_field"],
  ])("refuses %s", async (_label, line, reason) => {
    const [item] = await read(`${line}\n`, "jsonl");
    expect(item).toMatchObject({ line: 1, refusal: { reason } });
  });

  it("turns a hash with a salt into a Firebase scrypt hash with the project's parameters", async () => {
    const line = JSON.stringify({
      email: "user1@test.com",
      passwordHash: FIREBASE_HASH,
      passwordSalt: FIREBASE_SALT,
    });
    const [item] = await read(line, "jsonl", FIREBASE);
    expect(item).toMatchObject({
      record: { passwordHash: expect.stringMatching(/^\$firebase-scrypt\$m=14,r=8,/) },
    });
  });

  it("refuses a salted hash without the project's parameters, naming the options", async () => {
    const line = JSON.stringify({
      email: "user1@test.com",
      passwordHash: FIREBASE_HASH,
      salt: FIREBASE_SALT,
    });
    const [item] = await read(line, "jsonl");
    expect(item).toMatchObject({
      refusal: { reason: "unknown_hash_format", detail: expect.stringMatching(/--firebase-signer-key/) },
    });
  });
});

describe("readImportRecords › csv", () => {
  it("maps the header's columns, splits roles and identities, reads booleans, drops empty cells", async () => {
    const items = await read(
      [
        "email,emailVerified,name,roles,createdAt,identities",
        'ada@example.com,true,"Lovelace, Ada",user admin,2015-12-10T00:00:00Z,github:1 google:a%20b',
        "bob@example.com,0,'=SUM(A1),,,",
      ].join("\r\n"),
      "csv",
    );
    expect(items).toEqual([
      {
        line: 2,
        record: {
          email: "ada@example.com",
          emailVerified: true,
          name: "Lovelace, Ada",
          roles: ["user", "admin"],
          createdAt: "2015-12-10T00:00:00Z",
          identities: [
            { provider: "github", subject: "1" },
            { provider: "google", subject: "a b" },
          ],
          passwordHash: undefined,
        },
      },
      {
        line: 3,
        record: { email: "bob@example.com", emailVerified: false, name: "=SUM(A1)", passwordHash: undefined },
      },
    ]);
  });

  it("refuses a record with a different number of fields than the header", async () => {
    const items = await read("email,name\na@example.com\n", "csv");
    expect(items).toEqual([
      { line: 2, refusal: { reason: "malformed_line", detail: "1 fields where the header has 2" } },
    ]);
  });

  it.each([
    ["an unknown column", "email,password_hash\n", /unknown column "password_hash"/],
    ["no email column", "name\n", /no email column/],
    ["a column twice", "email,name,name\n", /twice/],
    ["an empty file", "", /empty/],
  ])("cannot run with %s", async (_label, text, message) => {
    await expect(read(text, "csv")).rejects.toThrow(ImportFileError);
    await expect(read(text, "csv")).rejects.toThrow(message);
  });

  it("escapes free text that a spreadsheet would run as a formula, and only that", () => {
    expect(escapeCsvText("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(escapeCsvText("'=already")).toBe("''=already");
    expect(escapeCsvText("O'Brien")).toBe("O'Brien");
  });
});

describe("readImportRecords › auth0", () => {
  it("maps Auth0's fields, bcrypt and custom hashes, and its social identities", async () => {
    const lines = [
      {
        user_id: "auth0|1",
        email: "ada@example.com",
        email_verified: true,
        name: "Ada",
        created_at: "2020-01-02T03:04:05.000Z",
        password_hash: "$2b$10$abcdefghijklmnopqrstuu1234567890123456789012345678901",
        identities: [
          { provider: "auth0", user_id: "1", isSocial: false },
          { provider: "google-oauth2", user_id: "10987", isSocial: true },
        ],
      },
      {
        email: "bob@example.com",
        given_name: "Bob",
        family_name: "Builder",
        custom_password_hash: {
          algorithm: "pbkdf2",
          hash: { value: "$pbkdf2-sha256$i=1000,l=32$c2FsdA$aGFzaA" },
        },
      },
      { email: "eve@example.com", custom_password_hash: { algorithm: "md5", hash: { value: "x" } } },
      {
        email: "mongo@example.com",
        email_verified: "false",
        passwordHash: "$2a$10$x",
        created_at: { $date: "2019-05-06T00:00:00Z" },
      },
    ]
      .map((line) => JSON.stringify(line))
      .join("\n");
    const items = await read(lines, "auth0");
    expect(items[0]).toEqual({
      line: 1,
      record: {
        email: "ada@example.com",
        emailVerified: true,
        name: "Ada",
        createdAt: "2020-01-02T03:04:05.000Z",
        passwordHash: "$2b$10$abcdefghijklmnopqrstuu1234567890123456789012345678901",
        disabled: undefined,
        identities: [{ provider: "google", subject: "10987" }],
      },
    });
    expect(items[1]).toMatchObject({
      record: { name: "Bob Builder", passwordHash: "$pbkdf2-sha256$i=1000,l=32$c2FsdA$aGFzaA" },
    });
    expect(items[2]).toMatchObject({
      line: 3,
      refusal: { reason: "unknown_hash_format", detail: expect.stringMatching(/"md5"/) },
    });
    expect(items[3]).toMatchObject({
      record: { emailVerified: false, passwordHash: "$2a$10$x", createdAt: "2019-05-06T00:00:00Z" },
    });
  });
});

describe("readImportRecords › firebase", () => {
  it("reads `auth:export` JSON: hash, salt, name, creation time, providers", async () => {
    const exported = `{"users": [${JSON.stringify(
      {
        localId: "kYi4EvWQlQTKSfnJ3dRSP6IH3ed2",
        email: "user1@test.com",
        emailVerified: false,
        passwordHash: FIREBASE_HASH,
        salt: FIREBASE_SALT,
        displayName: "Test User 1",
        createdAt: "1508893925000",
        providerUserInfo: [{ providerId: "google.com", rawId: "1234" }],
      },
      null,
      2,
    )}]}`;
    const [item] = await read(exported, "firebase", FIREBASE);
    expect(item).toEqual({
      line: 1,
      record: {
        email: "user1@test.com",
        emailVerified: false,
        name: "Test User 1",
        createdAt: "1508893925000",
        passwordHash: expect.stringMatching(/^\$firebase-scrypt\$/),
        disabled: undefined,
        identities: [{ provider: "google", subject: "1234" }],
      },
    });
  });

  it("reads `auth:export` CSV, whose columns have no header", async () => {
    // The README's sample line (github.com/firebase/scrypt), as the exporter writes it.
    const line = `kYi4EvWQlQTKSfnJ3dRSP6IH3ed2,user1@test.com,false,${FIREBASE_HASH},${FIREBASE_SALT},Test User 1,,,,,,,,,,,,,,1,,,,1508893925000,1508893925000,,,`;
    const [item] = await read(`${line}\n`, "firebase", FIREBASE);
    expect(item).toMatchObject({
      line: 1,
      record: {
        email: "user1@test.com",
        emailVerified: false,
        name: "Test User 1",
        createdAt: "1508893925000",
        passwordHash: expect.stringMatching(/^\$firebase-scrypt\$/),
        identities: [{ provider: "github", subject: "1" }],
      },
    });
  });
});
