/**
 * The command line (`src/cli/main.ts …` in a Node process of its own, what `npm run cli` runs) works on
 * the same database and secret as a running server: a user it creates signs in on the server
 * with the roles it granted; a weak password is refused with a non-zero exit; and `keys rotate`
 * adds a signing key that the server publishes and signs with, while tokens signed before the
 * rotation stay valid.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CLI_ENTRY, runTypeScript } from "../support/node-process.js";
import {
  bearer,
  createTestApp,
  PUBLIC_URL,
  STRONG_PASSWORD,
  TEST_SECRET,
  type TestApp,
  type TokenResponseBody,
} from "../support/test-app.js";

const CLI_TIMEOUT_MS = 20_000;

let dir: string;
let env: Record<string, string>;
let apps: TestApp[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "portcullis-cli-"));
  env = {
    DATABASE_URL: `sqlite:${join(dir, "portcullis.db")}`,
    PORTCULLIS_DATA_DIR: dir,
    PORTCULLIS_SECRET: TEST_SECRET,
    PORTCULLIS_PUBLIC_URL: PUBLIC_URL,
  };
});

afterEach(async () => {
  await Promise.all(apps.map((app) => app.close()));
  apps = [];
  rmSync(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) =>
  runTypeScript(CLI_ENTRY, args, { cwd: dir, env, timeoutMs: CLI_TIMEOUT_MS });

/** A server over the CLI's database file, with the same secret. */
async function openServer(): Promise<TestApp> {
  const app = await createTestApp({ env: { DATABASE_URL: env.DATABASE_URL!, PORTCULLIS_DATA_DIR: dir } });
  apps.push(app);
  return app;
}

async function login(app: TestApp, email: string, password = STRONG_PASSWORD): Promise<TokenResponseBody> {
  const response = await app.post("/v1/auth/login", { email, password });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<TokenResponseBody>();
}

async function jwks(app: TestApp): Promise<JSONWebKeySet> {
  const response = await app.get("/.well-known/jwks.json");
  expect(response.statusCode).toBe(200);
  return response.json<JSONWebKeySet>();
}

describe("cli › users create", () => {
  it("prints the created user, who then signs in on the server with the admin role in the access token", async () => {
    const created = await cli(
      "users",
      "create",
      "--email",
      " Admin@Example.COM ",
      "--password",
      STRONG_PASSWORD,
      "--role",
      "admin",
    );

    expect(created.code, created.stderr).toBe(0);
    const printed = JSON.parse(created.stdout.trim()) as { id: string; email: string; roles: string[] };
    expect(printed).toMatchObject({ id: expect.any(String), email: "admin@example.com" });
    expect(printed.roles).toContain("admin");
    expect(created.stdout + created.stderr).not.toContain(STRONG_PASSWORD);

    const server = await openServer();
    const tokens = await login(server, "admin@example.com");
    expect(tokens.user).toMatchObject({ id: printed.id, email: "admin@example.com", emailVerified: true });
    expect(tokens.user.roles).toContain("admin");
    const claims = decodeJwt(tokens.accessToken);
    expect(claims.sub).toBe(printed.id);
    expect(claims.roles).toContain("admin");

    const me = await server.get("/v1/me", bearer(tokens.accessToken));
    expect(me.statusCode).toBe(200);
    expect(me.json<{ user: { roles: string[] } }>().user.roles).toContain("admin");
  });

  it("refuses a weak password with a non-zero exit naming weak_password, and creates nobody", async () => {
    const refused = await cli("users", "create", "--email", "weak@example.com", "--password", "password");

    expect(refused.code).not.toBe(0);
    expect(refused.code).not.toBeNull();
    expect(refused.stderr).toContain("weak_password");
    expect(refused.stdout.trim()).toBe("");

    // Had the refused attempt left a row behind, this would answer email_taken.
    const retried = await cli(
      "users",
      "create",
      "--email",
      "weak@example.com",
      "--password",
      STRONG_PASSWORD,
    );
    expect(retried.code, retried.stderr).toBe(0);
  });

  it("refuses an address that is already registered, naming email_taken", async () => {
    expect(
      (await cli("users", "create", "--email", "twice@example.com", "--password", STRONG_PASSWORD)).code,
    ).toBe(0);

    const again = await cli("users", "create", "--email", "TWICE@example.com", "--password", STRONG_PASSWORD);

    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("email_taken");
  });

  it("refuses an invalid configuration before touching the database, naming the variable", async () => {
    env = { ...env, PORTCULLIS_ACCESS_TOKEN_TTL: "15x" };

    const refused = await cli("users", "create", "--email", "cfg@example.com", "--password", STRONG_PASSWORD);

    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("PORTCULLIS_ACCESS_TOKEN_TTL");
    expect(refused.stderr).not.toContain(TEST_SECRET);
    expect(existsSync(join(dir, "portcullis.db"))).toBe(false);
  });
});

describe("cli › keys rotate", () => {
  it("adds a key: the JWKS holds both, tokens signed before still verify, and new tokens carry the new kid", async () => {
    const server = await openServer();
    const email = "rotation@example.com";
    expect((await server.post("/v1/auth/register", { email, password: STRONG_PASSWORD })).statusCode).toBe(
      201,
    );
    const before = await login(server, email);
    const oldKid = decodeProtectedHeader(before.accessToken).kid;
    expect(oldKid).toEqual(expect.any(String));

    const rotated = await cli("keys", "rotate");

    expect(rotated.code, rotated.stderr).toBe(0);
    const { kid: newKid } = JSON.parse(rotated.stdout.trim()) as { kid: string };
    expect(newKid).toEqual(expect.any(String));
    expect(newKid).not.toBe(oldKid);

    // Until this instance re-reads the keys, the old token is of course still good...
    expect((await server.get("/v1/me", bearer(before.accessToken))).statusCode).toBe(200);
    await server.services.signingKeys.reload();
    // ...and after it, too: the retired key keeps verifying until its tokens have expired.
    expect((await server.get("/v1/me", bearer(before.accessToken))).statusCode).toBe(200);

    const published = await jwks(server);
    expect(published.keys.map((key) => key.kid).sort()).toEqual([oldKid, newKid].sort());
    const verifyOptions = { issuer: PUBLIC_URL, audience: PUBLIC_URL, typ: "at+jwt", algorithms: ["ES256"] };
    await expect(
      jwtVerify(before.accessToken, createLocalJWKSet(published), verifyOptions),
    ).resolves.toBeDefined();

    const after = await login(server, email);
    expect(decodeProtectedHeader(after.accessToken).kid).toBe(newKid);
    expect((await server.get("/v1/me", bearer(after.accessToken))).statusCode).toBe(200);
    await expect(
      jwtVerify(after.accessToken, createLocalJWKSet(published), verifyOptions),
    ).resolves.toBeDefined();

    // Another instance started now loads both keys from storage and accepts the older token.
    const other = await openServer();
    expect((await jwks(other)).keys.map((key) => key.kid).sort()).toEqual([oldKid, newKid].sort());
    expect((await other.get("/v1/me", bearer(before.accessToken))).statusCode).toBe(200);
  });
});
