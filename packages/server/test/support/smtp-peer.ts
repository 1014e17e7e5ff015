/**
 * A real SMTP server on loopback (`smtp-server`), for tests that send mail the way production
 * does: nodemailer connects, speaks SMTP and hands over the message. Each received message is
 * parsed just enough (headers, text and HTML parts, quoted-printable and base64) to read links.
 * Waiting for mail awaits the server's `onData`, never a sleep, and gives up after a bound.
 */
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  /** RCPT TO addresses. */
  to: string[];
  /** MAIL FROM. */
  from: string;
  headers: Map<string, string>;
  subject: string;
  text: string;
  html: string;
  raw: string;
}

export interface SmtpPeer {
  port: number;
  url: string;
  received: ReceivedMail[];
  /** The next message (or the first already received and not yet taken) to `address`. */
  nextMessageTo(address: string, timeoutMs?: number): Promise<ReceivedMail>;
  /** Holds every DATA command until `release()`; the client waits, as for a slow server. */
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

const WAIT_MS = 10_000;

/** Starts the peer on `port` (0: any free port) on 127.0.0.1. */
export async function startSmtpPeer(port = 0): Promise<SmtpPeer> {
  const received: ReceivedMail[] = [];
  const taken = new Set<ReceivedMail>();
  const waiters: Array<{ address: string; resolve: (mail: ReceivedMail) => void }> = [];
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;

  const deliver = (mail: ReceivedMail) => {
    received.push(mail);
    const index = waiters.findIndex((waiter) => mail.to.includes(waiter.address));
    if (index >= 0) {
      const [waiter] = waiters.splice(index, 1);
      taken.add(mail);
      waiter?.resolve(mail);
    }
  };

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const finish = () => {
          const raw = Buffer.concat(chunks).toString("utf8");
          deliver({
            ...parseMessage(raw),
            to: session.envelope.rcptTo.map((recipient) => recipient.address),
            from: session.envelope.mailFrom === false ? "" : session.envelope.mailFrom.address,
            raw,
          });
          callback();
        };
        if (gate === undefined) finish();
        else void gate.then(finish);
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const actualPort = (server.server.address() as AddressInfo).port;

  return {
    port: actualPort,
    url: `smtp://127.0.0.1:${actualPort}`,
    received,
    nextMessageTo(address, timeoutMs = WAIT_MS) {
      const waiting = received.find((mail) => !taken.has(mail) && mail.to.includes(address));
      if (waiting !== undefined) {
        taken.add(waiting);
        return Promise.resolve(waiting);
      }
      return new Promise<ReceivedMail>((resolve, reject) => {
        const timer = setTimeout(() => {
          const index = waiters.findIndex((waiter) => waiter.resolve === done);
          if (index >= 0) waiters.splice(index, 1);
          reject(new Error(`no mail to ${address} within ${timeoutMs} ms`));
        }, timeoutMs);
        const done = (mail: ReceivedMail) => {
          clearTimeout(timer);
          resolve(mail);
        };
        waiters.push({ address, resolve: done });
      });
    },
    hold() {
      gate = new Promise<void>((resolve) => {
        open = resolve;
      });
    },
    release() {
      open?.();
      gate = undefined;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A port that was free a moment ago and has nothing listening on it now: "the mail server is down". */
export async function reserveClosedPort(): Promise<number> {
  const peer = await startSmtpPeer();
  await peer.close();
  return peer.port;
}

function decodeTransfer(body: string, encoding: string | undefined): string {
  switch ((encoding ?? "7bit").toLowerCase()) {
    case "quoted-printable": {
      const escaped = body
        .replace(/=\r?\n/g, "")
        .replace(/%/g, "%25")
        .replace(/=([0-9A-Fa-f]{2})/g, (_match, hex: string) => `%${hex}`);
      return decodeURIComponent(escaped);
    }
    case "base64":
      return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
    default:
      return body;
  }
}

/** `=?UTF-8?Q?…?=` and `=?UTF-8?B?…?=` words in a header (RFC 2047). */
function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, "?==?")
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_match, _charset: string, kind: string, text: string) =>
      kind.toUpperCase() === "B"
        ? Buffer.from(text, "base64").toString("utf8")
        : decodeTransfer(text.replace(/_/g, " "), "quoted-printable"),
    );
}

interface Part {
  headers: Map<string, string>;
  body: string;
}

function splitPart(raw: string): Part {
  const separator = raw.search(/\r?\n\r?\n/);
  const head = separator < 0 ? raw : raw.slice(0, separator);
  const body = separator < 0 ? "" : raw.slice(separator).replace(/^\r?\n\r?\n/, "");
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function leafParts(part: Part): Part[] {
  const type = part.headers.get("content-type") ?? "text/plain";
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (!/^multipart\//i.test(type) || boundary === undefined) return [part];
  return part.body
    .split(`--${boundary}`)
    .slice(1)
    .filter((chunk) => !chunk.startsWith("--"))
    .flatMap((chunk) => leafParts(splitPart(chunk.replace(/^\r?\n/, ""))));
}

export function parseMessage(raw: string): Omit<ReceivedMail, "to" | "from" | "raw"> {
  const message = splitPart(raw);
  let text = "";
  let html = "";
  for (const part of leafParts(message)) {
    const type = (part.headers.get("content-type") ?? "text/plain").toLowerCase();
    const decoded = decodeTransfer(part.body, part.headers.get("content-transfer-encoding"));
    if (type.startsWith("text/html")) html = decoded;
    else if (type.startsWith("text/plain")) text = decoded;
  }
  return { headers: message.headers, subject: decodeWords(message.headers.get("subject") ?? ""), text, html };
}

/** The first link in `text` that starts with `prefix`. */
export function linkIn(text: string, prefix: string): string {
  const link = text.match(/https?:\/\/[^\s"<>]+/g)?.find((candidate) => candidate.startsWith(prefix));
  if (link === undefined) throw new Error(`no link starting with ${prefix} in:\n${text}`);
  return link;
}

/** The `token` query parameter of a link. */
export function tokenOf(link: string): string {
  const token = new URL(link).searchParams.get("token");
  if (token === null) throw new Error(`no token in ${link}`);
  return token;
}
