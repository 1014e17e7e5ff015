/**
 * Where a message goes once the worker takes it from the outbox:
 * - SMTP (`nodemailer`) when SMTP_URL is set: real delivery; a failure is retried later;
 * - the outbox folder (PORTCULLIS_MAIL_OUTBOX): one JSON file per message, `{to, subject, text,
 *   html}`, written atomically and readable by the owner only (it may hold a link with a token).
 *   Without SMTP the folder is the delivery, so a failed write is retried too; beside SMTP it is
 *   a copy, and a failed copy is only logged (retrying would send the mail twice);
 * - the log: one line per message. Outside production and without SMTP the line carries the
 *   message's links, so a developer can click through; in production, or with SMTP, never.
 */
import { randomUUID } from "node:crypto";
import { chmodSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createTransport } from "nodemailer";
import type { OutboxMail } from "../domain/mail/mail-message.js";

export interface MailLog {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface MailSender {
  /** Resolves once the message is delivered (or written); rejects to have it retried. */
  send(mail: OutboxMail): Promise<void>;
  close(): void;
}

export interface MailDeliveryOptions {
  smtpUrl: string | undefined;
  outboxDir: string | undefined;
  /** The From header, e.g. `Portcullis <no-reply@auth.example.com>`. */
  from: string;
  /** Links in log lines only when true (outside production, without SMTP). */
  logLinks: boolean;
  publicUrl: string;
  log: MailLog;
}

/** Seconds-scale bounds, so a mail server that hangs holds the worker for a minute at most. */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 60_000 };

export function createSmtpSender(url: string, from: string): MailSender {
  const transport = createTransport({ url, ...SMTP_TIMEOUTS });
  return {
    async send(mail) {
      await transport.sendMail({
        from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        // RFC 3834: an automatic message, so auto-responders do not answer it.
        headers: { "Auto-Submitted": "auto-generated" },
      });
    },
    close: () => transport.close(),
  };
}

/** One file per message: `<time>-<kind>-<id>.json`, so a listing sorts in sending order. */
export function outboxFileName(mail: OutboxMail, at: Date): string {
  return `${at.toISOString().replace(/[:.]/g, "-")}-${mail.kind}-${mail.id}.json`;
}

export function createOutboxFolderWriter(dir: string): MailSender & { lastFile(): string | undefined } {
  let last: string | undefined;
  return {
    async send(mail) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const file = join(dir, outboxFileName(mail, new Date()));
      const body = JSON.stringify(
        { to: mail.to, subject: mail.subject, text: mail.text, html: mail.html },
        null,
        2,
      );
      // Written under a temporary name and renamed, so a reader never sees half a message.
      const temporary = join(dir, `.${randomUUID()}.tmp`);
      writeFileSync(temporary, `${body}\n`, { mode: 0o600 });
      chmodSync(temporary, 0o600);
      renameSync(temporary, file);
      last = file;
    },
    close: () => {},
    lastFile: () => last,
  };
}

/** URLs under the public URL in a text body: the links worth showing a developer. */
function linksIn(text: string, publicUrl: string): string[] {
  return [...text.matchAll(/https?:\/\/\S+/g)]
    .map((match) => match[0])
    .filter((link) => link.startsWith(`${publicUrl}/`) && link.includes("token="));
}

/** SMTP, then the folder, then a log line; see the file comment for what each failure means. */
export function createMailDelivery(options: MailDeliveryOptions): MailSender {
  const smtp = options.smtpUrl === undefined ? undefined : createSmtpSender(options.smtpUrl, options.from);
  const folder = options.outboxDir === undefined ? undefined : createOutboxFolderWriter(options.outboxDir);
  const { log } = options;

  return {
    async send(mail) {
      const context = { mailId: mail.id, kind: mail.kind, to: mail.to };
      if (smtp !== undefined) await smtp.send(mail);
      let file: string | undefined;
      if (folder !== undefined) {
        try {
          await folder.send(mail);
          file = folder.lastFile();
        } catch (error) {
          if (smtp === undefined) throw error;
          log.warn({ ...context, err: error }, "mail delivered, but its copy in the outbox folder failed");
        }
      }
      const where = [
        smtp === undefined ? null : "sent by SMTP",
        file === undefined ? null : `written to ${file}`,
      ]
        .filter((part) => part !== null)
        .join(", ");
      const links = options.logLinks ? linksIn(mail.text, options.publicUrl) : [];
      const shown = links.length > 0 ? ` ${links.join(" ")}` : "";
      log.info(
        { ...context, ...(file === undefined ? {} : { file }) },
        `mail to ${mail.to}: "${mail.subject}"${where === "" ? " (no SMTP_URL: logged only)" : ` (${where})`}${shown}`,
      );
    },
    close() {
      smtp?.close();
    },
  };
}

/** One line for the start-up log: where mail goes, without credentials. */
export function describeMailDelivery(options: Pick<MailDeliveryOptions, "smtpUrl" | "outboxDir">): string {
  const parts: string[] = [];
  if (options.smtpUrl !== undefined) {
    const url = new URL(options.smtpUrl);
    parts.push(`SMTP ${url.protocol}//${url.host}`);
  }
  if (options.outboxDir !== undefined) parts.push(`the outbox folder ${options.outboxDir}`);
  if (options.smtpUrl === undefined) parts.push("the log (no SMTP_URL)");
  return `Mail goes to ${parts.join(" and ")}`;
}
