/**
 * `webhooks …` on the command line (`npm run cli -- webhooks …`) works on the same database and
 * secret as a running server and through the same rules: `create` prints the webhook with its
 * secret, once, and the server signs its deliveries with that very secret; a refused webhook exits
 * 1 naming each problem and creates nothing; `list` never prints a secret; `delete` removes it and
 * an unknown id exits 1.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CLI_ENTRY, runTypeScript } from "../support/node-process.js";
import { createTestApp, PUBLIC_URL, TEST_SECRET, type TestApp } from "../support/test-app.js";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.js";
import { registerUser } from "../support/webhooks.js";

const CLI_TIMEOUT_MS = 20_000;

interface Printed {
  webhook: { id: string; url: string; events: string[]; description: string | null; enabled: boolean };
  secret: string;
}

let dir: string;
let env: Record<string, string>;
let hooks: WebhookReceiver;
let apps: TestApp[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "portcullis-webhooks-cli-"));
  env = {
    DATABASE_URL: `sqlite:${join(dir, "portcullis.db")}`,
    PORTCULLIS_DATA_DIR: dir,
    PORTCULLIS_SECRET: TEST_SECRET,
    PORTCULLIS_PUBLIC_URL: PUBLIC_URL,
  };
  hooks = await startWebhookReceiver();
});

afterEach(async () => {
  await Promise.all(apps.map((app) => app.close()));
  apps = [];
  await hooks.close();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) =>
  runTypeScript(CLI_ENTRY, args, { cwd: dir, env, timeoutMs: CLI_TIMEOUT_MS });

describe("webhooks on the command line", () => {
  it("creates a webhook whose printed secret signs the server's deliveries, lists it without the secret, deletes it", async () => {
    const created = await cli(
      "webhooks",
      "create",
      "--url",
      hooks.url(),
      "--event",
      "user.registered",
      "--event",
      "login.succeeded",
      "--description",
      "from the CLI",
    );
    expect(created.code, created.stderr).toBe(0);
    const printed = JSON.parse(created.stdout) as Printed;
    expect(printed.webhook).toMatchObject({
      url: hooks.url(),
      events: ["user.registered", "login.succeeded"],
      description: "from the CLI",
      enabled: true,
    });
    expect(printed.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    hooks.useSecret(printed.secret);

    const server = await createTestApp({
      env: { DATABASE_URL: env.DATABASE_URL ?? "", PORTCULLIS_DATA_DIR: dir },
    });
    apps.push(server);
    await registerUser(server);
    await server.services.webhookWorker.drainOnce();
    expect(hooks.received.map((hook) => [hook.payload.type, hook.verified])).toEqual([
      ["user.registered", true],
    ]);

    const listed = await cli("webhooks", "list");
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).not.toContain(printed.secret.slice("whsec_".length));
    expect((JSON.parse(listed.stdout) as { webhooks: { id: string }[] }).webhooks.map((w) => w.id)).toEqual([
      printed.webhook.id,
    ]);

    const deleted = await cli("webhooks", "delete", printed.webhook.id);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(JSON.parse(deleted.stdout)).toEqual({ deleted: printed.webhook.id });
    expect(await server.services.webhooks.listWebhooks()).toEqual([]);
  }, 60_000);

  it("refuses an unknown event type and a URL that is not one, naming each, and an unknown id", async () => {
    const refused = await cli("webhooks", "create", "--url", "not a url", "--event", "user.teleported");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/\/url: must be an absolute URL/);
    expect(refused.stderr).toMatch(/\/events\/0: "user\.teleported" is not an audit event type/);
    expect(refused.stdout).toBe("");
    const unknown = await cli("webhooks", "delete", "no-such-webhook");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no-such-webhook");
    const server = await createTestApp({
      env: { DATABASE_URL: env.DATABASE_URL ?? "", PORTCULLIS_DATA_DIR: dir },
    });
    apps.push(server);
    expect(await server.services.webhooks.listWebhooks()).toEqual([]);
  }, 60_000);
});
