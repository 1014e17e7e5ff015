/**
 * `users list|show|disable|enable|delete|set-roles|revoke-sessions` (`src/cli/main.ts …` in a
 * Node process of its own) act on a server's database as the admin API does: what the command line
 * does, the server enforces (a disabled user cannot sign in, revoked or deleted sessions cannot
 * refresh, changed roles end the sessions); every act is audited with no actor; the last
 * enabled administrator can be neither disabled nor deleted; a deletion needs `--yes` when no
 * one is at a terminal to ask; and `--json` prints the admin API's JSON, refusals as
 * `{error, message}` on stderr with exit code 1.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CLI_ENTRY, runTypeScript } from "../support/node-process.js";
import {
  createTestApp,
  STRONG_PASSWORD,
  TEST_SECRET,
  type TestApp,
  type TokenResponseBody,
} from "../support/test-app.js";

const CLI_TIMEOUT_MS = 30_000;

let dir: string;
let env: Record<string, string>;
let server: TestApp;

interface PresentedUser {
  id: string;
  email: string;
  roles: string[];
  disabled: boolean;
  emailVerified: boolean;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "portcullis-users-cli-"));
  env = {
    DATABASE_URL: `sqlite:${join(dir, "portcullis.db")}`,
    PORTCULLIS_DATA_DIR: dir,
    PORTCULLIS_SECRET: TEST_SECRET,
  };
  // The server, in this process, over the file the command line opens.
  server = await createTestApp({ env: { DATABASE_URL: env.DATABASE_URL!, PORTCULLIS_DATA_DIR: dir } });
});

afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) =>
  runTypeScript(CLI_ENTRY, args, { cwd: dir, env, timeoutMs: CLI_TIMEOUT_MS });

async function createUserRecord(email: string, roles: string[] = ["user"]) {
  const outcome = await server.services.users.createUser(
    { email, password: STRONG_PASSWORD, name: null, roles, emailVerified: true },
    null,
  );
  if (!outcome.ok) throw new Error(`could not create ${email}: ${outcome.code}`);
  return outcome.user;
}

async function createUser(email: string, roles: string[] = ["user"]): Promise<string> {
  return (await createUserRecord(email, roles)).id;
}

async function login(email: string) {
  return server.post("/v1/auth/login", { email, password: STRONG_PASSWORD });
}

async function signIn(email: string): Promise<TokenResponseBody> {
  const response = await login(email);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<TokenResponseBody>();
}

/** The refusal a `--json` command wrote to stderr (the runtime may warn on lines before it). */
function refusal(stderr: string): unknown {
  const line = stderr.trimEnd().split("\n").at(-1) ?? "";
  return JSON.parse(line);
}

const refresh = (tokens: TokenResponseBody) =>
  server.post("/v1/auth/refresh", { refreshToken: tokens.refreshToken });

/** The audit events of `type` about `userId`, with who acted. */
async function auditEvents(type: string, userId: string) {
  return server.database.db
    .selectFrom("audit_events")
    .select(["type", "user_id", "actor_id", "ip"])
    .where("type", "=", type)
    .where("user_id", "=", userId)
    .execute();
}

describe("cli › users list and show", () => {
  it("lists users in creation order a page at a time with --json, and as a table narrowed by --query", async () => {
    // Creation order is the order of `createdAt`, in milliseconds; users created within the same
    // millisecond come in the order of their ids.
    const created = [
      await createUserRecord("alice@example.com"),
      await createUserRecord("bob@example.com", ["user", "admin"]),
      await createUserRecord("carol@example.com"),
    ].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
    const ids = created.map((user) => user.id);

    const first = await cli("users", "list", "--limit", "2", "--json");
    expect(first.code, first.stderr).toBe(0);
    const page = JSON.parse(first.stdout) as { users: PresentedUser[]; nextCursor: string | null };
    expect(page.users.map((user) => user.id)).toEqual(ids.slice(0, 2));
    expect(page.users[1]).toMatchObject({
      email: created[1]?.email,
      roles: created[1]?.roles,
      disabled: false,
    });
    expect(page.nextCursor).toEqual(expect.any(String));
    const second = await cli("users", "list", "--json", "--cursor", page.nextCursor!);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ users: [{ id: ids[2] }], nextCursor: null });

    const table = await cli("users", "list", "--query", "BOB");
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+EMAIL\s+ROLES\s+STATUS/);
    expect(lines.slice(1, -1)).toHaveLength(1);
    expect(lines[1]).toContain("bob@example.com");
    expect(lines[1]).toContain("user,admin");
    expect(lines.at(-1)).toBe("1 user");
    // Not a terminal: no colour codes in what a script reads.
    expect(table.stdout).not.toContain("\u001b[");
  }, 60_000);

  it("shows a user named by email in any case, and refuses an unknown id with exit code 1", async () => {
    const id = await createUser("dora@example.com");

    const byEmail = await cli("users", "show", " Dora@Example.COM ");
    expect(byEmail.code, byEmail.stderr).toBe(0);
    expect(byEmail.stdout).toMatch(new RegExp(`^id\\s+${id}$`, "m"));
    expect(byEmail.stdout).toMatch(/^status\s+active$/m);

    const unknown = await cli("users", "show", "0190b7c4-0000-7000-8000-000000000000", "--json");
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe("");
    expect(refusal(unknown.stderr)).toMatchObject({ error: "not_found" });
  }, 60_000);
});

describe("cli › users disable, enable, set-roles and revoke-sessions", () => {
  it("disables a user, whose sign-in and refresh are refused at once, and enables them again; both audited with no actor", async () => {
    const id = await createUser("erin@example.com");
    const tokens = await signIn("erin@example.com");

    const disabled = await cli("users", "disable", "erin@example.com", "--json");
    expect(disabled.code, disabled.stderr).toBe(0);
    expect(JSON.parse(disabled.stdout)).toMatchObject({ user: { id, disabled: true } });
    expect((await login("erin@example.com")).json()).toMatchObject({ code: "account_disabled" });
    expect((await refresh(tokens)).statusCode).toBe(401);

    const enabled = await cli("users", "enable", id);
    expect(enabled.code, enabled.stderr).toBe(0);
    expect(enabled.stdout).toContain("is enabled");
    expect((await login("erin@example.com")).statusCode).toBe(200);

    for (const type of ["user.disabled", "user.enabled"])
      expect(await auditEvents(type, id)).toEqual([{ type, user_id: id, actor_id: null, ip: null }]);
    expect(await auditEvents("session.revoked", id)).toHaveLength(1);
  }, 60_000);

  it("replaces a user's roles, ending their sessions, and refuses a role the server does not know", async () => {
    const id = await createUser("finn@example.com");
    const tokens = await signIn("finn@example.com");

    const promoted = await cli("users", "set-roles", id, "--role", "user", "--role", "admin", "--json");
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(JSON.parse(promoted.stdout)).toMatchObject({ user: { id, roles: ["user", "admin"] } });
    expect((await refresh(tokens)).statusCode).toBe(401);
    expect((await signIn("finn@example.com")).user.roles).toEqual(["user", "admin"]);
    expect(await auditEvents("user.roles_changed", id)).toEqual([
      { type: "user.roles_changed", user_id: id, actor_id: null, ip: null },
    ]);

    const unknown = await cli("users", "set-roles", "finn@example.com", "--role", "wizard");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("Unknown roles: wizard");
    expect((await server.services.userAdmin.getUser(id))?.roles).toEqual(["user", "admin"]);
  }, 60_000);

  it("revokes every session of a user, whose refresh tokens are then refused", async () => {
    const id = await createUser("gina@example.com");
    const sessions = [await signIn("gina@example.com"), await signIn("gina@example.com")];

    const revoked = await cli("users", "revoke-sessions", "gina@example.com", "--json");
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(JSON.parse(revoked.stdout)).toEqual({ userId: id, sessionsRevoked: true });
    for (const tokens of sessions) expect((await refresh(tokens)).statusCode).toBe(401);
    expect(await auditEvents("session.revoked", id)).toEqual([
      { type: "session.revoked", user_id: id, actor_id: null, ip: null },
      { type: "session.revoked", user_id: id, actor_id: null, ip: null },
    ]);
  }, 60_000);
});

describe("cli › users delete and the last administrator", () => {
  it("deletes only with --yes when no one is at a terminal, and the deleted user's session cannot refresh", async () => {
    const id = await createUser("hugo@example.com");
    const tokens = await signIn("hugo@example.com");

    const unconfirmed = await cli("users", "delete", "hugo@example.com");
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stderr).toContain("--yes");
    expect(await server.services.userAdmin.getUser(id)).toBeDefined();

    const deleted = await cli("users", "delete", "hugo@example.com", "--yes", "--json");
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(JSON.parse(deleted.stdout)).toEqual({ deleted: id });
    expect(await server.services.userAdmin.getUser(id)).toBeUndefined();
    expect((await refresh(tokens)).statusCode).toBe(401);
    expect(await auditEvents("user.deleted", id)).toEqual([
      { type: "user.deleted", user_id: id, actor_id: null, ip: null },
    ]);
  }, 60_000);

  it("refuses to disable or delete the last enabled administrator, who keeps their account and role", async () => {
    const id = await createUser("root@example.com", ["user", "admin"]);

    const disable = await cli("users", "disable", id);
    expect(disable.code).toBe(1);
    expect(disable.stderr).toContain("last enabled administrator");

    const remove = await cli("users", "delete", "root@example.com", "--yes", "--json");
    expect(remove.code).toBe(1);
    expect(remove.stdout).toBe("");
    expect(refusal(remove.stderr)).toMatchObject({ error: "last_admin" });

    expect(await server.services.userAdmin.getUser(id)).toMatchObject({
      disabledAt: null,
      roles: ["user", "admin"],
    });
    expect(await auditEvents("user.disabled", id)).toEqual([]);
  }, 60_000);
});
