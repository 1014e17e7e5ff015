import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { OutboxMail } from "../domain/mail/mail-message.js";
import { createMailDelivery, describeMailDelivery, type MailLog } from "./mail-delivery.js";

const PUBLIC_URL = "https://auth.example.com";
const LINK = `${PUBLIC_URL}/reset-password?token=s3cr3t-token_value`;

const mail: OutboxMail = {
  id: "0b5c-id",
  kind: "password_reset",
  userId: "u1",
  to: "ada@example.com",
  subject: "Reset your Portcullis password",
  text: `Open ${LINK} within an hour.`,
  html: `<a href="${LINK}">reset</a>`,
  createdAt: 0,
  attempts: 0,
  nextAttemptAt: 0,
};

let folders: string[] = [];
afterEach(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  folders = [];
});
function folder(): string {
  const made = mkdtempSync(join(tmpdir(), "portcullis-outbox-"));
  folders.push(made);
  return join(made, "outbox");
}

function capture(): MailLog & { lines: string[] } {
  const lines: string[] = [];
  const record = (object: object, message: string) => lines.push(`${message} ${JSON.stringify(object)}`);
  return { lines, info: record, warn: record, error: record };
}

describe("createMailDelivery › outbox folder", () => {
  it("writes one owner-only JSON file {to, subject, text, html} per message, in an owner-only folder", async () => {
    const dir = folder();
    const delivery = createMailDelivery({
      smtpUrl: undefined,
      outboxDir: dir,
      from: "Portcullis <no-reply@example.com>",
      logLinks: false,
      publicUrl: PUBLIC_URL,
      log: capture(),
    });

    await delivery.send(mail);

    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^\d{4}-\d{2}-\d{2}T[\d-]+Z-password_reset-0b5c-id\.json$/);
    const written = JSON.parse(readFileSync(join(dir, files[0] ?? ""), "utf8"));
    expect(written).toEqual({ to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });
    expect(statSync(join(dir, files[0] ?? "")).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });
});

describe("createMailDelivery › the log line", () => {
  const deliver = async (logLinks: boolean) => {
    const log = capture();
    await createMailDelivery({
      smtpUrl: undefined,
      outboxDir: undefined,
      from: "x@example.com",
      logLinks,
      publicUrl: PUBLIC_URL,
      log,
    }).send(mail);
    return log.lines;
  };

  it("is one line naming the recipient and subject", async () => {
    const lines = await deliver(false);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('mail to ada@example.com: "Reset your Portcullis password"');
  });

  it("carries the link with its token outside production without SMTP, for the developer", async () => {
    expect((await deliver(true))[0]).toContain(LINK);
  });

  it("never carries the link otherwise (production, or SMTP configured)", async () => {
    expect((await deliver(false)).join("\n")).not.toContain("s3cr3t-token_value");
  });
});

describe("describeMailDelivery", () => {
  it("names the SMTP host without its credentials", () => {
    const text = describeMailDelivery({
      smtpUrl: "smtps://mailer:hunter2@smtp.example.com:465",
      outboxDir: undefined,
    });
    expect(text).toBe("Mail goes to SMTP smtps://smtp.example.com:465");
    expect(text).not.toContain("hunter2");
  });

  it("names the log and the folder without SMTP", () => {
    expect(describeMailDelivery({ smtpUrl: undefined, outboxDir: "./data/mail-outbox" })).toBe(
      "Mail goes to the outbox folder ./data/mail-outbox and the log (no SMTP_URL)",
    );
  });
});
