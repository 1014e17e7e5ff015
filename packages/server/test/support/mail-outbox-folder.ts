/**
 * Reads the mail outbox folder (PORTCULLIS_MAIL_OUTBOX; by default `<data folder>/mail-outbox`
 * outside production): one JSON file per message. Waiting steps the app's mail worker with
 * `drainOnce()` in a bounded loop, so no test sleeps.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { TestApp } from "./test-app.js";

export interface OutboxFile {
  file: string;
  mail: { to: string; subject: string; text: string; html: string };
}

export function readOutbox(dir: string): OutboxFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((name) => ({
      file: join(dir, name),
      mail: JSON.parse(readFileSync(join(dir, name), "utf8")) as OutboxFile["mail"],
    }));
}

/** Every message to `to` in the folder, oldest first, after letting the worker finish what is due. */
export async function mailsTo(t: TestApp, to: string): Promise<OutboxFile["mail"][]> {
  await t.services.mail.drainOnce();
  const dir = t.config.mailOutboxDir;
  if (dir === undefined) throw new Error("this app has no outbox folder");
  return readOutbox(dir)
    .map((entry) => entry.mail)
    .filter((mail) => mail.to === to);
}

/** The newest message to `to` whose subject matches, stepping the worker a bounded number of times. */
export async function latestMailTo(t: TestApp, to: string, subject: RegExp): Promise<OutboxFile["mail"]> {
  for (let pass = 0; pass < 5; pass++) {
    const found = (await mailsTo(t, to)).filter((mail) => subject.test(mail.subject)).at(-1);
    if (found !== undefined) return found;
  }
  throw new Error(`no mail to ${to} matching ${subject} in ${t.config.mailOutboxDir}`);
}
