/**
 * `clients …` on the command line (`npm run cli -- clients …`) works on the same database as a
 * running server and through the same rules: `create` prints the client with its secret, which
 * then verifies against what the server stores; a refused registration exits 1 naming each
 * problem on stderr and creates nothing; `list` never prints a secret; `rotate-secret` ends the
 * old secret; `delete` removes the client; an unknown id exits 1.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { verifyClientSecret } from "../../src/domain/oauth-clients/client-secret.js";
import { CLI_ENTRY, runTypeScript } from "../support/node-process.js";
import { createTestApp, PUBLIC_URL, TEST_SECRET, type TestApp } from "../support/test-app.js";

const CLI_TIMEOUT_MS = 20_000;

interface Printed {
  client: {
    id: string;
    name: string;
    type: string;
    redirectUris: string[];
    grantTypes: string[];
    scopes: string[];
  };
  clientSecret: string | null;
}

let dir: string;
let env: Record<string, string>;
let apps: TestApp[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "portcullis-clients-cli-"));
  env = {
    DATABASE_URL: `sqlite:${join(dir, "portcullis.db")}`,
    PORTCULLIS_DATA_DIR: dir,
    PORTCULLIS_SECRET: TEST_SECRET,
    PORTCULLIS_PUBLIC_URL: PUBLIC_URL,
    PORTCULLIS_SCOPES: "orders:read",
  };
});

afterEach(async () => {
  await Promise.all(apps.map((app) => app.close()));
  apps = [];
  rmSync(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) =>
  runTypeScript(CLI_ENTRY, args, { cwd: dir, env, timeoutMs: CLI_TIMEOUT_MS });

/** A server over the CLI's database file. */
async function openServer(): Promise<TestApp> {
  const app = await createTestApp({
    env: { DATABASE_URL: env.DATABASE_URL ?? "", PORTCULLIS_DATA_DIR: dir },
  });
  apps.push(app);
  return app;
}

const CREATE = [
  "clients",
  "create",
  "--name",
  "Orders",
  "--type",
  "confidential",
  "--redirect-uri",
  "https://orders.example.com/callback",
  "--redirect-uri",
  "http://localhost:4000/callback",
  "--grant",
  "authorization_code",
  "--grant",
  "refresh_token",
  "--scope",
  "openid email",
  "--scope",
  "orders:read",
];

describe("cli › clients", () => {
  it("creates a client and prints it with its secret, which verifies against what the server stores", async () => {
    const created = await cli(...CREATE, "--first-party");
    expect(created.code, created.stderr).toBe(0);
    const printed = JSON.parse(created.stdout.trim()) as Printed;
    expect(printed.client).toMatchObject({
      name: "Orders",
      type: "confidential",
      redirectUris: ["https://orders.example.com/callback", "http://localhost:4000/callback"],
      grantTypes: ["authorization_code", "refresh_token"],
      scopes: ["openid", "email", "orders:read"],
      firstParty: true,
    });
    expect(printed.clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(created.stdout).not.toMatch(/secretHash/);

    const server = await openServer();
    const stored = await server.services.clients.findClientById(printed.client.id);
    expect(verifyClientSecret(printed.clientSecret ?? "", stored?.secretHash ?? "")).toBe(true);
    const events = await server.services.auditLog.listEvents({ type: "client.created", limit: 5 });
    expect(events.ok && events.events.map((event) => [event.actorId, event.details.clientId])).toEqual([
      [null, printed.client.id],
    ]);

    const listed = await cli("clients", "list");
    expect(listed.code, listed.stderr).toBe(0);
    const { clients } = JSON.parse(listed.stdout.trim()) as { clients: Printed["client"][] };
    expect(clients.map((client) => client.id)).toEqual([printed.client.id]);
    expect(listed.stdout).not.toContain(printed.clientSecret ?? "");
    expect(listed.stdout).not.toMatch(/secret/i);
  });

  it("refuses an invalid registration with exit 1, naming each problem on stderr, and creates nothing", async () => {
    const refused = await cli(
      "clients",
      "create",
      "--name",
      "Broken",
      "--type",
      "public",
      "--redirect-uri",
      "https://app.example.com/cb#fragment",
      "--grant",
      "client_credentials",
      "--scope",
      "openid admin:write",
    );
    expect(refused.code).toBe(1);
    expect(refused.stdout.trim()).toBe("");
    expect(refused.stderr).toContain("validation_failed");
    expect(refused.stderr).toContain("/redirectUris/0");
    expect(refused.stderr).toContain("/grantTypes");
    expect(refused.stderr).toContain('"admin:write"');

    const wrongType = await cli(
      "clients",
      "create",
      "--name",
      "X",
      "--type",
      "hybrid",
      "--grant",
      "client_credentials",
    );
    expect(wrongType.code).not.toBe(0);
    expect(wrongType.stderr).toContain("hybrid");

    const listed = await cli("clients", "list");
    expect(JSON.parse(listed.stdout.trim())).toEqual({ clients: [] });
  });

  it("rotates a secret (the old one stops working) and deletes a client; an unknown id exits 1", async () => {
    const created = JSON.parse((await cli(...CREATE)).stdout.trim()) as Printed;
    const rotated = await cli("clients", "rotate-secret", created.client.id);
    expect(rotated.code, rotated.stderr).toBe(0);
    const { clientSecret } = JSON.parse(rotated.stdout.trim()) as Printed;
    expect(clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(clientSecret).not.toBe(created.clientSecret);

    const server = await openServer();
    const hash = (await server.services.clients.findClientById(created.client.id))?.secretHash ?? "";
    expect(verifyClientSecret(created.clientSecret ?? "", hash)).toBe(false);
    expect(verifyClientSecret(clientSecret ?? "", hash)).toBe(true);

    const deleted = await cli("clients", "delete", created.client.id);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(JSON.parse(deleted.stdout.trim())).toEqual({ deleted: created.client.id });
    expect(await server.services.clients.findClientById(created.client.id)).toBeNull();

    for (const command of ["delete", "rotate-secret"]) {
      const unknown = await cli("clients", command, created.client.id);
      expect(unknown.code, command).toBe(1);
      expect(unknown.stderr).toContain("not_found");
      expect(unknown.stdout.trim()).toBe("");
    }
  });
});
