/**
 * Waits for mail in an outbox folder (PORTCULLIS_MAIL_OUTBOX) that any number of instances write
 * to. `fs.watch` wakes the reader when a message lands (the writer renames each finished file
 * into place), and each file is parsed once, so waiting on a folder of thousands of messages
 * costs no more than on an empty one. A message is handed out once.
 */
import { type FSWatcher, mkdirSync, readdirSync, readFileSync, watch } from "node:fs";
import { join } from "node:path";

export interface OutboxMail {
  to: string;
  subject: string;
  text: string;
}

export interface OutboxWatcher {
  /** The oldest message to `to` whose subject matches and that was not handed out before. */
  next(to: string, subject: RegExp, timeoutMs?: number): Promise<OutboxMail>;
  close(): void;
}

const DEFAULT_TIMEOUT_MS = 15_000;

export function watchOutbox(dir: string): OutboxWatcher {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const parsed = new Set<string>();
  const unclaimed: OutboxMail[] = [];
  const waiters = new Set<() => void>();

  function readNewFiles(): void {
    // Names start with a sortable timestamp; temporary files start with a dot and end otherwise.
    for (const name of readdirSync(dir).sort()) {
      if (!name.endsWith(".json") || parsed.has(name)) continue;
      parsed.add(name);
      unclaimed.push(JSON.parse(readFileSync(join(dir, name), "utf8")) as OutboxMail);
    }
  }

  function claim(to: string, subject: RegExp): OutboxMail | undefined {
    readNewFiles();
    const index = unclaimed.findIndex((mail) => mail.to === to && subject.test(mail.subject));
    return index === -1 ? undefined : unclaimed.splice(index, 1)[0];
  }

  const watcher: FSWatcher = watch(dir, () => {
    for (const wake of [...waiters]) wake();
  });

  return {
    next(to, subject, timeoutMs = DEFAULT_TIMEOUT_MS) {
      return new Promise((resolve, reject) => {
        const attempt = () => {
          const mail = claim(to, subject);
          if (mail === undefined) return;
          done();
          resolve(mail);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no mail to ${to} matching ${subject} in ${dir} within ${timeoutMs} ms`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(attempt);
        };
        waiters.add(attempt);
        attempt();
      });
    },
    close: () => watcher.close(),
  };
}
