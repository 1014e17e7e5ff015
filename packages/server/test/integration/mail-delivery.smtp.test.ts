/**
 * Invariant: mail is durable and never holds up a request. A message is written to the
 * `mail_outbox` table in the transaction of the act that causes it and delivered afterwards by a
 * worker over real SMTP (a `smtp-server` peer on loopback here). While the mail server is down
 * the message waits, with exponential backoff, and is delivered once the server is back; a
 * request answers at once even while the mail server takes its time; only after about twelve
 * hours of failures is a message given up, and then its bodies (which may hold a token) are
 * wiped (issue 7; API.md "Password reset and email verification").
 */
import { afterEach, describe, expect, it } from "vitest";
import { createManualClock } from "../../src/domain/clock.js";
import { MAX_DELIVERY_ATTEMPTS, retryDelayMs } from "../../src/mail/mail-worker.js";
import { linkIn, reserveClosedPort, type SmtpPeer, startSmtpPeer, tokenOf } from "../support/smtp-peer.js";
import {
  createTestApp,
  PUBLIC_URL,
  STRONG_PASSWORD,
  type TestApp,
  uniqueEmail,
} from "../support/test-app.js";

let apps: TestApp[] = [];
let peers: SmtpPeer[] = [];

afterEach(async () => {
  for (const peer of peers) peer.release();
  await Promise.all(apps.map((app) => app.close()));
  await Promise.all(peers.map((peer) => peer.close()));
  apps = [];
  peers = [];
});

async function peer(port = 0): Promise<SmtpPeer> {
  const started = await startSmtpPeer(port);
  peers.push(started);
  return started;
}

async function app(options: Parameters<typeof createTestApp>[0]): Promise<TestApp> {
  const created = await createTestApp(options);
  apps.push(created);
  return created;
}

const outboxRows = (t: TestApp) => t.database.db.selectFrom("mail_outbox").selectAll().execute();

describe("mail over SMTP", () => {
  it("delivers the verification mail of a registration, with a link built from PORTCULLIS_PUBLIC_URL", async () => {
    const smtp = await peer();
    const t = await app({
      env: { SMTP_URL: smtp.url, PORTCULLIS_MAIL_FROM: "Portcullis <auth@portcullis.test>" },
    });
    const email = uniqueEmail("smtp");

    const registered = await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD });
    expect(registered.statusCode, registered.body).toBe(201);
    const mail = await smtp.nextMessageTo(email);

    expect(mail.from).toBe("auth@portcullis.test");
    expect(mail.subject).toBe("Confirm your email address for Portcullis");
    expect(mail.headers.get("auto-submitted")).toBe("auto-generated");
    const link = linkIn(mail.text, `${PUBLIC_URL}/verify-email?token=`);
    expect(mail.html).toContain(`href="${link}"`);
    const verified = await t.post("/v1/email/verify", { token: tokenOf(link) });
    expect(verified.statusCode, verified.body).toBe(200);
    expect(verified.json()).toMatchObject({ user: { email, emailVerified: true } });
    // Delivered mail leaves the outbox: a link with a token is not kept once it is sent.
    await t.services.mail.drainOnce();
    expect(await outboxRows(t)).toEqual([]);
  });

  it("answers the request at once while the mail server is still taking the message", async () => {
    const smtp = await peer();
    smtp.hold();
    const t = await app({ env: { SMTP_URL: smtp.url } });
    const email = uniqueEmail("slow");

    const arriving = smtp.nextMessageTo(email);
    const registered = await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD });
    const forgot = await t.post("/v1/password/forgot", { email });

    expect(registered.statusCode).toBe(201);
    expect(forgot.statusCode).toBe(202);
    expect(smtp.received).toEqual([]);
    smtp.release();
    expect((await arriving).subject).toContain("Confirm your email address");
  });

  it("keeps the message while the mail server is down and delivers it once it is back", async () => {
    const port = await reserveClosedPort();
    const clock = createManualClock(Date.now());
    const t = await app({ env: { SMTP_URL: `smtp://127.0.0.1:${port}` }, clock });
    const email = uniqueEmail("down");
    await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD });

    // The first attempt fails (nothing listens), and the message stays, due again after the backoff.
    await t.services.mail.drainOnce();
    const [waiting] = await outboxRows(t);
    expect(waiting).toMatchObject({ recipient: email, attempts: 1 });
    expect(waiting?.last_error).toMatch(/ECONNREFUSED|connect/i);
    expect(Number(waiting?.next_attempt_at)).toBe(clock.now() + retryDelayMs(1));

    // Not yet due: a pass before the backoff has passed does not try again.
    await t.services.mail.drainOnce();
    expect((await outboxRows(t))[0]?.attempts).toBe(1);

    const smtp = await peer(port);
    const arriving = smtp.nextMessageTo(email);
    clock.advance(retryDelayMs(1));
    const report = await t.services.mail.drainOnce();

    expect(report.delivered).toBe(1);
    const mail = await arriving;
    expect(linkIn(mail.text, `${PUBLIC_URL}/verify-email?token=`)).toBeTruthy();
    expect(await outboxRows(t)).toEqual([]);
  });

  it("backs off exponentially and, after the last attempt, gives up and wipes the message's bodies", async () => {
    const port = await reserveClosedPort();
    const clock = createManualClock(Date.now());
    const t = await app({ env: { SMTP_URL: `smtp://127.0.0.1:${port}` }, clock });
    const email = uniqueEmail("never");
    await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD });

    const delays: number[] = [];
    for (let attempt = 1; attempt <= MAX_DELIVERY_ATTEMPTS; attempt++) {
      const before = clock.now();
      await t.services.mail.drainOnce();
      const [row] = await outboxRows(t);
      expect(row?.attempts).toBe(attempt);
      if (row?.failed_at !== null) break;
      delays.push(Number(row.next_attempt_at) - before);
      clock.set(Number(row.next_attempt_at));
    }

    expect(delays.slice(0, 4)).toEqual([10_000, 20_000, 40_000, 80_000]);
    expect(Math.max(...delays)).toBe(3_600_000);
    const [failed] = await outboxRows(t);
    expect(failed).toMatchObject({ attempts: MAX_DELIVERY_ATTEMPTS, text_body: "", html_body: "" });
    expect(failed?.failed_at).not.toBeNull();
    // Retrying went on for about half a day before giving up.
    expect(delays.reduce((sum, delay) => sum + delay, 0)).toBeGreaterThan(10 * 3_600_000);
  }, 60_000);
});
