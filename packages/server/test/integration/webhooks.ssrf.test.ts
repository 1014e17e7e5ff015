/**
 * Invariant: in production a webhook cannot be aimed at the deployment's own network (server-side
 * request forgery). A URL naming a loopback, private, link-local, unique-local, unspecified or
 * otherwise non-public address — in any spelling, IPv4-mapped, NAT64 or decimal — or `localhost`,
 * or plain `http://`, is refused with `400 validation_failed`; and when a delivery connects, every
 * address its host name resolves to is checked, so a name rebound to 127.0.0.1 after it was saved
 * reaches nothing (API.md "Webhooks"; OWASP SSRF Prevention Cheat Sheet). Outside production a
 * loopback receiver is accepted. Attempts time out and never follow redirects.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { isIP } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWebhookSender, type HostResolver } from "../../src/webhooks/webhook-sender.js";
import { createAdmin, loginAs, type SignedIn, send } from "../support/accounts.js";
import { expectProblem } from "../support/problem-assertions.js";
import { createTestApp, type TestApp } from "../support/test-app.js";
import { startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.js";
import { createWebhook, listDeliveries, registerUser } from "../support/webhooks.js";

const productionEnv = (dir: string) => ({
  NODE_ENV: "production",
  PORTCULLIS_MAIL_OUTBOX: join(dir, "mail"),
});

describe("webhooks › SSRF: URLs in production", () => {
  let t: TestApp;
  let admin: SignedIn;
  const mailDir = mkdtempSync(join(tmpdir(), "portcullis-webhooks-"));

  beforeAll(async () => {
    t = await createTestApp({ env: productionEnv(mailDir) });
    admin = await createAdmin(t);
  });
  afterAll(async () => {
    await t.close();
    rmSync(mailDir, { recursive: true, force: true });
  });

  it.each([
    "https://127.0.0.1/hook",
    "https://127.8.9.10/hook",
    "https://2130706433/hook",
    "https://0x7f.1/hook",
    "https://localhost/hook",
    "https://LOCALHOST./hook",
    "https://hooks.localhost/hook",
    "https://10.0.0.5/hook",
    "https://172.16.3.4:8443/hook",
    "https://192.168.1.1/hook",
    "https://100.64.0.1/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://0.0.0.0/hook",
    "https://[::1]/hook",
    "https://[::]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://[::ffff:a9fe:a9fe]/hook",
    "https://[64:ff9b::a00:1]/hook",
    "https://[2002:c0a8:101::1]/hook",
    "https://[fd00::1]/hook",
    "https://[fe80::1]/hook",
    "https://[ff02::1]/hook",
    "http://hooks.example.com/hook",
  ])("refuses %s with 400 validation_failed", async (url) => {
    const response = await send(t, "POST", "/v1/admin/webhooks", admin.headers, { url, events: ["*"] });
    const problem = expectProblem(response, 400, "validation_failed");
    expect(problem.errors).toEqual([expect.objectContaining({ pointer: "/url" })]);
  });

  it("refuses a change of URL to a private address", async () => {
    const { webhook } = await createWebhook(t, admin, {
      url: "https://hooks.example.com/portcullis",
      events: ["*"],
    });
    const response = await send(t, "PATCH", `/v1/admin/webhooks/${webhook.id}`, admin.headers, {
      url: "https://10.1.2.3/portcullis",
    });
    expectProblem(response, 400, "validation_failed");
  });

  it.each([
    "https://hooks.example.com/portcullis",
    "https://93.184.215.14/hook",
    "https://[2606:4700::1111]/hook",
  ])("accepts %s (a host name is checked when a delivery connects)", async (url) => {
    await createWebhook(t, admin, { url, events: ["user.registered"] });
  });
});

describe("webhooks › SSRF: at delivery time", () => {
  let hooks: WebhookReceiver;

  beforeAll(async () => {
    hooks = await startWebhookReceiver();
  });
  afterAll(() => hooks.close());

  const resolveTo =
    (...addresses: string[]): HostResolver =>
    async () =>
      addresses.map((address) => ({ address, family: isIP(address) }));
  const port = () => new URL(hooks.url()).port;
  const attempt = { headers: { "webhook-id": "msg_1" }, body: "{}" };

  it("refuses in production a host name that resolves to loopback (DNS rebinding), without connecting", async () => {
    const connections = hooks.connections();
    const sender = createWebhookSender({
      timeoutMs: 2_000,
      production: true,
      resolveHost: resolveTo("127.0.0.1"),
    });
    expect(await sender.send({ url: `https://rebound.example:${port()}/hooks`, ...attempt })).toEqual({
      ok: false,
      statusCode: null,
      error: "refused: the host resolves to a non-public address",
    });
    expect(hooks.connections()).toBe(connections);

    // The same resolver outside production: the connection goes where the resolver said.
    const development = createWebhookSender({
      timeoutMs: 2_000,
      production: false,
      resolveHost: resolveTo("127.0.0.1"),
    });
    expect(await development.send({ url: `http://rebound.example:${port()}/hooks`, ...attempt })).toEqual({
      ok: true,
      statusCode: 204,
    });
    expect(hooks.connections()).toBe(connections + 1);
    expect(hooks.received.at(-1)?.headers.host).toBe(`rebound.example:${port()}`);
  });

  it("refuses a name with any non-public address among its public ones", async () => {
    const sender = createWebhookSender({
      timeoutMs: 2_000,
      production: true,
      resolveHost: resolveTo("93.184.215.14", "10.0.0.7"),
    });
    const result = await sender.send({ url: "https://mixed.example/hooks", ...attempt });
    expect(result).toMatchObject({ ok: false, error: "refused: the host resolves to a non-public address" });
  });

  it("refuses a non-public literal address in production even over https, without connecting", async () => {
    const connections = hooks.connections();
    const sender = createWebhookSender({ timeoutMs: 2_000, production: true });
    for (const host of ["127.0.0.1", "[::ffff:7f00:1]", "[::1]"]) {
      const result = await sender.send({ url: `https://${host}:${port()}/hooks`, ...attempt });
      expect(result).toMatchObject({
        ok: false,
        statusCode: null,
        error: expect.stringMatching(/^refused: /),
      });
    }
    expect(hooks.connections()).toBe(connections);
  });

  it("fails an attempt that gets no answer within the timeout", async () => {
    hooks.answerWith("never");
    try {
      const sender = createWebhookSender({ timeoutMs: 300, production: false });
      expect(await sender.send({ url: hooks.url(), ...attempt })).toEqual({
        ok: false,
        statusCode: null,
        error: "no answer within 300 ms",
      });
    } finally {
      hooks.answerWith(204);
    }
  });

  it("does not follow a redirect: it is a failed attempt", async () => {
    hooks.answerWith(302);
    try {
      const before = hooks.received.length;
      const sender = createWebhookSender({ timeoutMs: 2_000, production: false });
      expect(await sender.send({ url: hooks.url(), ...attempt })).toEqual({
        ok: false,
        statusCode: 302,
        error: "answered 302",
      });
      expect(hooks.received.length).toBe(before + 1);
    } finally {
      hooks.answerWith(204);
    }
  });

  it("stops a loopback webhook saved outside production once the deployment runs in production", async () => {
    const development = await createTestApp();
    const prodDir = development.dir;
    let production: TestApp | undefined;
    try {
      const admin = await createAdmin(development);
      const { webhook } = await createWebhook(development, admin, {
        url: hooks.url(),
        events: ["user.registered"],
      });
      await development.app.close();
      await development.database.close();

      production = await createTestApp({
        env: { ...productionEnv(prodDir), DATABASE_URL: development.config.databaseUrl },
      });
      const connections = hooks.connections();
      await registerUser(production);
      await production.services.webhookWorker.drainOnce();
      expect(hooks.connections()).toBe(connections);
      const [delivery] = await listDeliveries(production, await loginAs(production, admin.email), webhook.id);
      expect(delivery).toMatchObject({ status: "pending", attempts: 1, lastStatusCode: null });
      expect(delivery?.lastError).toMatch(/^refused: /);
    } finally {
      await production?.close();
      rmSync(prodDir, { recursive: true, force: true });
    }
  });
});
