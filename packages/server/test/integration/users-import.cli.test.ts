/**
 * `users import` and `users export` as an operator runs them (the real CLI entry point, a child
 * process) against the database a server then uses. A file of good and bad lines imports the
 * good ones and lists every bad one with its line and reason (stderr and the report file),
 * exiting 2; running it again changes nothing; every kind of imported password hash signs its
 * owner in with the old password at `POST /v1/auth/login` and is argon2id afterwards; and an
 * export (with secrets) imported into an empty database gives the same users, who sign in.
 */
import { pbkdf2Sync, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hash as argon2Hash } from "@node-rs/argon2";
import bcrypt from "bcryptjs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CLI_ENTRY, runTypeScript } from "../support/node-process.js";
import { createTestApp, PUBLIC_URL, TEST_SECRET, type TestApp } from "../support/test-app.js";
import { createPostgresSchema, TEST_STORE } from "../support/test-stores.js";

const CLI_TIMEOUT_MS = 30_000;
/** Each test runs the CLI several times, and each run compiles and starts a process (seconds apiece on 2 busy cores). */
const SEVERAL_RUNS_MS = 120_000;
const PASSWORD = "legacy-Passphrase-9";

// github.com/firebase/scrypt README: the sample project's parameters and its user1@test.com.
const FIREBASE_OPTIONS = [
  "--firebase-signer-key",
  "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==",
  "--firebase-salt-separator",
  "Bw==",
  "--firebase-rounds",
  "8",
  "--firebase-mem-cost",
  "14",
];
const FIREBASE_USER = {
  passwordHash: "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==",
  passwordSalt: "42xEC+ixf3L2lw==",
  password: "user1password",
};

let dir: string;
let apps: TestApp[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "portcullis-import-"));
});
afterEach(async () => {
  await Promise.all(apps.map((app) => app.close()));
  apps = [];
  rmSync(dir, { recursive: true, force: true });
});

/** A database of its own: a SQLite file, or a fresh schema on the PostgreSQL run. */
async function freshDatabaseUrl(name: string): Promise<string> {
  return TEST_STORE === "postgres" ? (await createPostgresSchema()).url : `sqlite:${join(dir, `${name}.db`)}`;
}

function cliOn(databaseUrl: string) {
  const env = {
    DATABASE_URL: databaseUrl,
    PORTCULLIS_DATA_DIR: dir,
    PORTCULLIS_SECRET: TEST_SECRET,
    PORTCULLIS_PUBLIC_URL: PUBLIC_URL,
    PORTCULLIS_ROLES: "editor",
  };
  return (...args: string[]) => runTypeScript(CLI_ENTRY, args, { cwd: dir, env, timeoutMs: CLI_TIMEOUT_MS });
}

async function serverOn(databaseUrl: string): Promise<TestApp> {
  const app = await createTestApp({ env: { DATABASE_URL: databaseUrl, PORTCULLIS_DATA_DIR: dir } });
  apps.push(app);
  return app;
}

function writeLines(name: string, lines: (object | string)[]): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    lines.map((line) => (typeof line === "string" ? line : JSON.stringify(line))).join("\n"),
  );
  return path;
}

const storedHash = async (app: TestApp, email: string) =>
  (
    await app.database.db
      .selectFrom("users")
      .select("password_hash")
      .where("email", "=", email)
      .executeTakeFirstOrThrow()
  ).password_hash;

/** Django's PBKDF2PasswordHasher.encode: base64 of PBKDF2-HMAC-SHA256 over the text salt. */
function djangoHash(password: string, salt: string, iterations: number): string {
  const digest = pbkdf2Sync(password, salt, iterations, 32, "sha256").toString("base64");
  return `pbkdf2_sha256$${iterations}$${salt}$${digest}`;
}

/** Keycloak's pbkdf2-sha512: 16 random salt bytes, a 512-bit key, as a PHC string. */
function keycloakHash(password: string, iterations: number): string {
  const salt = randomBytes(16);
  const key = pbkdf2Sync(password, salt, iterations, 64, "sha512");
  return `$pbkdf2-sha512$i=${iterations}$${salt.toString("base64")}$${key.toString("base64")}`;
}

describe("cli › users import", () => {
  it(
    "imports the good lines, reports the bad ones (exit 2), changes nothing the second time, and every hash signs in",
    async () => {
      const databaseUrl = await freshDatabaseUrl("import");
      const cli = cliOn(databaseUrl);
      const signIns = {
        "argon2id@example.com": {
          hash: await argon2Hash(PASSWORD, { memoryCost: 512, timeCost: 1 }),
          password: PASSWORD,
        },
        // Django's argon2 hasher, with its own test vector.
        "argon2i@example.com": {
          hash: "argon2$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q",
          password: "secret",
        },
        "bcrypt@example.com": {
          hash: bcrypt.hashSync(PASSWORD, 4).replace("$2b$", "$2y$"),
          password: PASSWORD,
        },
        "django@example.com": { hash: djangoHash(PASSWORD, "seasalt", 10_000), password: PASSWORD },
        "keycloak@example.com": { hash: keycloakHash(PASSWORD, 1_000), password: PASSWORD },
        // Better Auth's SALT:KEY scrypt, from hashlib.scrypt with its parameters (N=2^14, r=16, p=1).
        "better-auth@example.com": {
          hash: "9f86d081884c7d659a2feaa0c55ad015:97d47df5d547258b860af02ef4f3e3d69e346fcc0887faccd03564204d389e4bacee13f9aedff163e2edfdd865cec75aa916522faa4d83a13e2b63dac4936674",
          password: "correct horse battery staple",
        },
      };
      const file = writeLines("users.jsonl", [
        ...Object.entries(signIns).map(([email, { hash }]) => ({
          email,
          passwordHash: hash,
          emailVerified: true,
        })),
        {
          email: "user1@test.com",
          passwordHash: FIREBASE_USER.passwordHash,
          passwordSalt: FIREBASE_USER.passwordSalt,
        },
        {
          email: "editor@example.com",
          name: "Ed",
          roles: ["user", "editor"],
          createdAt: "2020-02-02T02:02:02.000Z",
        },
        "{not json",
        { email: "not-an-address", passwordHash: signIns["bcrypt@example.com"].hash },
        { email: "md5@example.com", passwordHash: "md5$$88a434c88cca4e900f7874cd98123f43" },
        { email: "BCRYPT@example.com", name: "a repeat" },
        { email: "root@example.com", roles: ["root"] },
      ]);

      const first = await cli("users", "import", file, ...FIREBASE_OPTIONS);

      expect(first.code, first.stderr).toBe(2);
      expect(JSON.parse(first.stdout.trim())).toMatchObject({
        records: 13,
        inserted: 8,
        existing: 0,
        refused: 5,
      });
      const expectedRefusals = [
        { line: 9, reason: "malformed_line" },
        { line: 10, reason: "invalid_email" },
        { line: 11, reason: "unknown_hash_format", email: "md5@example.com" },
        { line: 12, reason: "duplicate_email", detail: "email: also on line 3", email: "bcrypt@example.com" },
        { line: 13, reason: "unknown_role", email: "root@example.com" },
      ];
      for (const { line, reason } of expectedRefusals)
        expect(first.stderr).toContain(`line ${line}: ${reason}`);
      const reportPath = `${file}.rejected.jsonl`;
      const report = () =>
        readFileSync(reportPath, "utf8")
          .trim()
          .split("\n")
          .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(report()).toEqual(expectedRefusals.map((refusal) => expect.objectContaining(refusal)));
      expect(statSync(reportPath).mode & 0o777).toBe(0o600);
      // No hash reaches the report or the terminal.
      expect(readFileSync(reportPath, "utf8") + first.stderr).not.toContain(
        "88a434c88cca4e900f7874cd98123f43",
      );

      const server = await serverOn(databaseUrl);
      const users = () => server.database.db.selectFrom("users").selectAll().orderBy("email").execute();
      const before = await users();
      expect(before).toHaveLength(8);

      const second = await cli("users", "import", file, ...FIREBASE_OPTIONS);
      expect(second.code, second.stderr).toBe(2);
      expect(JSON.parse(second.stdout.trim())).toMatchObject({ inserted: 0, existing: 8, refused: 5 });
      expect(await users()).toEqual(before);
      expect(report()).toHaveLength(5);

      const events = await server.database.db
        .selectFrom("audit_events")
        .selectAll()
        .where("type", "=", "users.imported")
        .orderBy("seq")
        .execute();
      expect(events.map((event) => JSON.parse(event.details))).toEqual([
        expect.objectContaining({
          file: "users.jsonl",
          format: "jsonl",
          inserted: 8,
          refused: 5,
          completed: true,
        }),
        expect.objectContaining({ inserted: 0, existing: 8, refused: 5 }),
      ]);
      expect(
        await server.database.db
          .selectFrom("audit_events")
          .select("id")
          .where("type", "=", "user.registered")
          .execute(),
      ).toHaveLength(0);

      const accounts = { ...signIns, "user1@test.com": { hash: "", password: FIREBASE_USER.password } };
      for (const [email, { password }] of Object.entries(accounts)) {
        const wrong = await server.post("/v1/auth/login", { email, password: `${password}x` });
        expect(wrong.statusCode, email).toBe(401);
        const login = await server.post("/v1/auth/login", { email, password });
        expect(login.statusCode, `${email}: ${login.body}`).toBe(200);
        expect(await storedHash(server, email), email).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
        // The upgraded hash keeps working.
        expect((await server.post("/v1/auth/login", { email, password })).statusCode, email).toBe(200);
      }
      const editorRow = before.find((row) => row.email === "editor@example.com");
      expect(editorRow).toMatchObject({
        name: "Ed",
        roles: '["user","editor"]',
        created_at: Date.parse("2020-02-02T02:02:02.000Z"),
        email_verified: 0,
        password_hash: null,
      });
    },
    SEVERAL_RUNS_MS,
  );

  it(
    "exits 1 naming the problem when it cannot run: no file, an unknown CSV column, Firebase without its parameters",
    async () => {
      const cli = cliOn(await freshDatabaseUrl("cannot-run"));

      const missing = await cli("users", "import", join(dir, "nowhere.jsonl"));
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain("is not a file");

      const badHeader = writeLines("users.csv", ["email,password_hash", "a@example.com,x"]);
      const header = await cli("users", "import", badHeader, "--format", "csv");
      expect(header.code).toBe(1);
      expect(header.stderr).toContain('unknown column "password_hash"');

      const firebase = await cli("users", "import", badHeader, "--format", "firebase");
      expect(firebase.code).toBe(1);
      expect(firebase.stderr).toContain("--firebase-signer-key");
    },
    SEVERAL_RUNS_MS,
  );

  it(
    "imports CSV with a header row and space-separated roles, exiting 0 when every line goes in",
    async () => {
      const databaseUrl = await freshDatabaseUrl("csv");
      const file = join(dir, "users.csv");
      writeFileSync(
        file,
        [
          "email,name,roles,emailVerified,passwordHash",
          `ada@example.com,"Lovelace, Ada",user editor,true,${bcrypt.hashSync(PASSWORD, 4)}`,
          "grace@example.com,,,false,",
          "",
        ].join("\r\n"),
      );

      const imported = await cliOn(databaseUrl)("users", "import", file, "--format", "csv");

      expect(imported.code, imported.stderr).toBe(0);
      expect(JSON.parse(imported.stdout.trim())).toMatchObject({ inserted: 2, refused: 0 });
      const server = await serverOn(databaseUrl);
      const login = await server.post("/v1/auth/login", { email: "ada@example.com", password: PASSWORD });
      expect(login.statusCode, login.body).toBe(200);
      expect(login.json<{ user: { name: string; roles: string[] } }>().user).toMatchObject({
        name: "Lovelace, Ada",
        roles: ["user", "editor"],
      });
    },
    SEVERAL_RUNS_MS,
  );
});

describe("cli › users export", () => {
  /** A database with three users: one with every field, a disabled one, one without a password. */
  async function seed() {
    const sourceUrl = await freshDatabaseUrl("source");
    const source = cliOn(sourceUrl);
    const file = writeLines("seed.jsonl", [
      {
        email: "ada@example.com",
        emailVerified: true,
        name: '=Ada, "the" Countess',
        roles: ["user", "admin"],
        createdAt: "2015-12-10T00:00:00.000Z",
        passwordHash: bcrypt.hashSync(PASSWORD, 4),
        totpSecret: "JBSWY3DPEHPK3PXP",
        identities: [{ provider: "github", subject: "583 231" }],
      },
      { email: "bob@example.com", passwordHash: djangoHash(PASSWORD, "pepper", 1_000), disabled: true },
      { email: "carol@example.com" },
    ]);
    const seeded = await source("users", "import", file);
    expect(seeded.code, seeded.stderr).toBe(0);
    return source;
  }

  const readJsonLines = (path: string) =>
    readFileSync(path, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  it(
    "leaves secrets out unless asked, wants --yes where it cannot ask, and writes the file owner-only",
    async () => {
      const source = await seed();

      const publicFile = join(dir, "public.jsonl");
      const exported = await source("users", "export", publicFile);
      expect(exported.code, exported.stderr).toBe(0);
      expect(JSON.parse(exported.stdout.trim())).toMatchObject({ users: 3, withSecrets: false });
      expect(readFileSync(publicFile, "utf8")).not.toMatch(/passwordHash|totpSecret|\$2[aby]\$/);
      expect(statSync(publicFile).mode & 0o777).toBe(0o600);
      expect(readJsonLines(publicFile).find((user) => user.email === "ada@example.com")).toEqual({
        email: "ada@example.com",
        emailVerified: true,
        name: '=Ada, "the" Countess',
        roles: ["user", "admin"],
        createdAt: "2015-12-10T00:00:00.000Z",
        identities: [{ provider: "github", subject: "583 231" }],
      });

      // There is no terminal here to confirm on.
      const secretFile = join(dir, "secret.jsonl");
      const unconfirmed = await source("users", "export", secretFile, "--with-secrets");
      expect(unconfirmed.code).toBe(1);
      expect(unconfirmed.stderr).toContain("--yes");
      expect(() => statSync(secretFile)).toThrow();

      const withSecrets = await source("users", "export", secretFile, "--with-secrets", "--yes");
      expect(withSecrets.code, withSecrets.stderr).toBe(0);
      expect(withSecrets.stderr).toMatch(/Warning: .*password hashes/);
      expect(readJsonLines(secretFile).find((user) => user.email === "ada@example.com")).toMatchObject({
        passwordHash: expect.stringMatching(/^\$2[aby]\$04\$/),
        totpSecret: "JBSWY3DPEHPK3PXP",
      });
    },
    SEVERAL_RUNS_MS,
  );

  it.each(["jsonl", "csv"] as const)(
    "round-trips as %s through an empty database: the same users, who sign in with their passwords",
    async (format) => {
      const source = await seed();
      const exportFile = join(dir, `export.${format}`);
      const exported = await source(
        "users",
        "export",
        exportFile,
        "--format",
        format,
        "--with-secrets",
        "--yes",
      );
      expect(exported.code, exported.stderr).toBe(0);
      if (format === "csv")
        expect(readFileSync(exportFile, "utf8").split("\r\n")[0]).toBe(
          "email,emailVerified,name,roles,createdAt,disabled,identities,passwordHash,totpSecret",
        );

      const targetUrl = await freshDatabaseUrl("target");
      const target = cliOn(targetUrl);
      const imported = await target("users", "import", exportFile, "--format", format);
      expect(imported.code, imported.stderr).toBe(0);
      expect(JSON.parse(imported.stdout.trim())).toMatchObject({ inserted: 3, refused: 0 });

      const again = join(dir, `again.${format}`);
      expect(
        (await target("users", "export", again, "--format", format, "--with-secrets", "--yes")).code,
      ).toBe(0);
      const sorted = (path: string) => readFileSync(path, "utf8").trim().split(/\r?\n/).sort();
      expect(sorted(again)).toEqual(sorted(exportFile));

      const server = await serverOn(targetUrl);
      const ada = await server.post("/v1/auth/login", { email: "ada@example.com", password: PASSWORD });
      expect(ada.statusCode, ada.body).toBe(200);
      expect(ada.json<{ mfaRequired?: boolean }>().mfaRequired).toBe(true);
      const bob = await server.post("/v1/auth/login", { email: "bob@example.com", password: PASSWORD });
      expect(bob.statusCode).toBe(403);
      expect(bob.json<{ code: string }>().code).toBe("account_disabled");
    },
    SEVERAL_RUNS_MS,
  );
});
