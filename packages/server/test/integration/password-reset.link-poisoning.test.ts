/**
 * Invariant: links in mail are built from PORTCULLIS_PUBLIC_URL alone, never from the request's
 * `Host`, `X-Forwarded-Host`, `X-Forwarded-Proto` or `Forwarded` headers, whatever
 * PORTCULLIS_TRUST_PROXY says; so an attacker who asks for a reset of a victim's account cannot
 * make the victim's mail point at the attacker's host and harvest the token (API.md "Password
 * reset and email verification"; security.md §2.6 item 25; OWASP Forgot Password cheat sheet).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { linkIn, type SmtpPeer, startSmtpPeer } from "../support/smtp-peer.js";
import {
  createTestApp,
  PUBLIC_URL,
  STRONG_PASSWORD,
  type TestApp,
  uniqueEmail,
} from "../support/test-app.js";

const POISONED_HEADERS: Record<string, string>[] = [
  { host: "evil.example" },
  { host: "evil.example", "x-forwarded-host": "evil.example", "x-forwarded-proto": "https" },
  { "x-forwarded-host": "evil.example:8443" },
  { forwarded: "for=203.0.113.9;host=evil.example;proto=https" },
  { "x-forwarded-server": "evil.example", "x-original-host": "evil.example", "x-host": "evil.example" },
];

describe.each([
  ["PORTCULLIS_TRUST_PROXY=false", "false"],
  ["PORTCULLIS_TRUST_PROXY=1 (a proxy in front is believed for the client address)", "1"],
])("mail links with %s", (_name, trustProxy) => {
  let smtp: SmtpPeer;
  let t: TestApp;

  beforeAll(async () => {
    smtp = await startSmtpPeer();
    t = await createTestApp({
      env: { SMTP_URL: smtp.url, PORTCULLIS_TRUST_PROXY: trustProxy, PORTCULLIS_EMAIL_RATE_LIMIT: "off" },
    });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  const links = (text: string) => text.match(/https?:\/\/[^\s"<>]+/g) ?? [];

  it.each(POISONED_HEADERS)(
    "builds the reset link from PORTCULLIS_PUBLIC_URL despite %j",
    async (headers) => {
      const email = uniqueEmail("victim");
      await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD });
      await smtp.nextMessageTo(email);

      const forgot = await t.app.inject({
        method: "POST",
        url: "/v1/password/forgot",
        headers: { "content-type": "application/json", "x-forwarded-for": "203.0.113.9", ...headers },
        payload: JSON.stringify({ email }),
      });
      expect(forgot.statusCode, forgot.body).toBe(202);
      const mail = await smtp.nextMessageTo(email);

      expect(linkIn(mail.text, `${PUBLIC_URL}/reset-password?token=`)).toBeTruthy();
      for (const link of [...links(mail.text), ...links(mail.html)])
        expect(link.startsWith(`${PUBLIC_URL}`)).toBe(true);
      expect(`${mail.text}${mail.html}`).not.toContain("evil.example");
    },
  );

  it("builds the verification link of a registration from PORTCULLIS_PUBLIC_URL despite a forged Host", async () => {
    const email = uniqueEmail("register");
    const registered = await t.app.inject({
      method: "POST",
      url: "/v1/auth/register",
      headers: {
        "content-type": "application/json",
        host: "evil.example",
        "x-forwarded-host": "evil.example",
        "x-forwarded-proto": "https",
      },
      payload: JSON.stringify({ email, password: STRONG_PASSWORD }),
    });
    expect(registered.statusCode, registered.body).toBe(201);
    const mail = await smtp.nextMessageTo(email);

    expect(linkIn(mail.text, `${PUBLIC_URL}/verify-email?token=`)).toBeTruthy();
    expect(`${mail.text}${mail.html}`).not.toContain("evil.example");
  });
});
