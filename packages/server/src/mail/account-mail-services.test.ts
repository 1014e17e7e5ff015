/**
 * The mail wiring as the configuration decides it: outside production without SMTP a developer
 * finds each message's link in the one log line; in production (mail handed to an outbox folder)
 * the log line names the message and never its link; either way the message lands in the folder.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../config/config.js";
import { createManualClock } from "../domain/clock.js";
import { createPasswordHasher } from "../domain/passwords/password-hasher.js";
import { createPasswordPolicy } from "../domain/passwords/password-policy.js";
import type { SessionService } from "../domain/sessions/session-service.js";
import { openSqlDatabase, type SqlDatabase } from "../store/sql/database.js";
import { createSqlPersistence } from "../store/sql/sql-persistence.js";
import { createAccountMailServices } from "./account-mail-services.js";

const SECRET = "q8Vx2LmR7tZp4KsW9bNc3HfJ6dYg1AeUoTiPrXzQwEvBnMkSlCjDhGfIaO5u0y-_";

function readOutboxFolder(dir: string | undefined): Array<{ to: string }> {
  if (dir === undefined || !existsSync(dir)) return [];
  return readdirSync(dir).map((name) => JSON.parse(readFileSync(join(dir, name), "utf8")) as { to: string });
}

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function setUp(env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), "portcullis-mail-wiring-"));
  const database: SqlDatabase = await openSqlDatabase("sqlite::memory:");
  cleanups.push(
    () => rmSync(dir, { recursive: true, force: true }),
    () => database.close(),
  );
  const config = loadConfig({
    PORTCULLIS_DATA_DIR: dir,
    PORTCULLIS_SECRET: SECRET,
    PORTCULLIS_PUBLIC_URL: "https://auth.example.com",
    ...env,
    ...(env.PORTCULLIS_MAIL_OUTBOX === undefined
      ? {}
      : { PORTCULLIS_MAIL_OUTBOX: join(dir, env.PORTCULLIS_MAIL_OUTBOX) }),
  });
  const persistence = createSqlPersistence(database);
  const lines: string[] = [];
  const record = (object: object, message: string) => lines.push(`${message} ${JSON.stringify(object)}`);
  const services = createAccountMailServices({
    config,
    clock: createManualClock(),
    persistence,
    hasher: createPasswordHasher({ maxConcurrent: 1, maxQueued: 1, memoryCost: 1024, timeCost: 1 }),
    policy: createPasswordPolicy({ isCommonPassword: () => false }),
    sessions: {} as SessionService,
    log: { info: record, warn: record, error: record },
    onMailQueued: () => {},
  });
  cleanups.push(() => services.worker.stop());
  const link = "https://auth.example.com/verify-email?token=Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg";
  await services.mailer.queueIn(persistence, null, {
    kind: "email_verification",
    to: "ada@example.com",
    link,
    expiresAt: 86_400_000,
  });
  await services.worker.drainOnce();
  return { lines, link, outbox: config.mailOutboxDir };
}

describe("createAccountMailServices", () => {
  it("outside production without SMTP: logs the link once and writes the message to <data>/mail-outbox", async () => {
    const { lines, link, outbox } = await setUp({ NODE_ENV: "development" });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(link);
    expect(readOutboxFolder(outbox)).toHaveLength(1);
  });

  it("in production with an outbox folder: logs one line without the link, and writes the message", async () => {
    const { lines, link, outbox } = await setUp({ NODE_ENV: "production", PORTCULLIS_MAIL_OUTBOX: "spool" });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("ada@example.com");
    expect(lines[0]).not.toContain("token=");
    expect(lines[0]).not.toContain(link);
    expect(readOutboxFolder(outbox)).toEqual([expect.objectContaining({ to: "ada@example.com" })]);
  });
});
