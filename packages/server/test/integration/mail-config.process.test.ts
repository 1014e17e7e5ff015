/**
 * The real entry point (`src/main.ts`) in production: without SMTP_URL (and without an outbox
 * folder someone chose on purpose) it refuses to start, exits non-zero and names SMTP_URL on
 * stderr, so reset and verification mail can never silently go nowhere; with an explicit
 * PORTCULLIS_MAIL_OUTBOX it starts, and the start-up log says where mail goes without ever
 * printing a link with a token.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { findFreePort, type NodeProcess, SERVER_ENTRY, spawnTypeScript } from "../support/node-process.js";
import { TEST_SECRET } from "../support/test-app.js";

const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

let children: NodeProcess[] = [];
let folders: string[] = [];

afterEach(async () => {
  await Promise.all(children.map((child) => child.kill()));
  children = [];
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  folders = [];
});

function launch(env: Record<string, string>): NodeProcess {
  const cwd = mkdtempSync(join(tmpdir(), "portcullis-mail-process-"));
  folders.push(cwd);
  const child = spawnTypeScript(SERVER_ENTRY, [], { cwd, env });
  children.push(child);
  return child;
}

describe("server process › mail in production", () => {
  it("refuses to start without SMTP_URL, exiting non-zero and naming SMTP_URL on stderr", async () => {
    const server = launch({
      NODE_ENV: "production",
      PORT: String(await findFreePort()),
      PORTCULLIS_SECRET: TEST_SECRET,
      PORTCULLIS_PUBLIC_URL: "https://auth.example.com",
    });

    const exit = await server.waitForExit(START_TIMEOUT_MS);

    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(server.stderr()).toMatch(/^\s*- SMTP_URL: required when NODE_ENV=production/m);
    expect(server.stdout()).not.toMatch(/listening/i);
  });

  it("starts with an explicit outbox folder instead, and says where mail goes", async () => {
    const port = await findFreePort();
    const server = launch({
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      PORT: String(port),
      PORTCULLIS_SECRET: TEST_SECRET,
      PORTCULLIS_PUBLIC_URL: `http://127.0.0.1:${port}`,
      PORTCULLIS_MAIL_OUTBOX: "./outbox",
    });

    await server.waitForOutput("stdout", /listening/i, START_TIMEOUT_MS);

    expect(server.stdout()).toMatch(/Mail goes to the outbox folder \.\/outbox/);
    server.child.kill("SIGTERM");
    expect((await server.waitForExit(STOP_TIMEOUT_MS)).code).toBe(0);
  }, 40_000);
});
