/**
 * Invariant: the account's owner hears of what happens to it (ASVS 6.3.5, 6.3.7). A password
 * change mails a notice; a sign-in from a device not seen before (user agent without version
 * numbers, and address prefix) mails a notice, but not the first sign-in of an account, nor a
 * browser update; with PORTCULLIS_EMAIL_TAKEN=notify, registering a taken address answers 202
 * exactly like a new one and mails the owner, while by default it stays 409 `email_taken`. Every
 * message is also written to the outbox folder as one owner-only JSON file `{to, subject, text,
 * html}`, with the request's values HTML-escaped in the HTML.
 */
import { readdirSync, statSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { mailsTo, readOutbox } from "../support/mail-outbox-folder.js";
import { expectProblem } from "../support/problem-assertions.js";
import {
  bearer,
  createTestApp,
  STRONG_PASSWORD,
  type TestApp,
  type TokenResponseBody,
  uniqueEmail,
} from "../support/test-app.js";

const FIREFOX_128 = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const FIREFOX_129 = "Mozilla/5.0 (X11; Linux x86_64; rv:129.0) Gecko/20100101 Firefox/129.0";
const PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148";
const NEW_SIGN_IN = /^New sign-in/;

const apps: TestApp[] = [];
afterEach(async () => {
  while (apps.length > 0) await apps.pop()?.close();
});
async function open(env: Record<string, string> = {}): Promise<TestApp> {
  const t = await createTestApp({ env: { PORTCULLIS_EMAIL_RATE_LIMIT: "off", ...env } });
  apps.push(t);
  return t;
}

function loginFrom(t: TestApp, email: string, userAgent: string, remoteAddress: string) {
  return t.app.inject({
    method: "POST",
    url: "/v1/auth/login",
    headers: { "content-type": "application/json", "user-agent": userAgent },
    payload: JSON.stringify({ email, password: STRONG_PASSWORD }),
    remoteAddress,
  });
}

async function subjectsTo(t: TestApp, email: string): Promise<string[]> {
  return (await mailsTo(t, email)).map((mail) => mail.subject);
}

describe("the outbox folder", () => {
  it("holds one owner-only JSON file per message, with exactly to, subject, text and html", async () => {
    const t = await open();
    const email = uniqueEmail("folder");
    await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD });
    await t.post("/v1/password/forgot", { email });
    await t.services.mail.drainOnce();

    const dir = t.config.mailOutboxDir ?? "";
    const entries = readOutbox(dir).filter((entry) => entry.mail.to === email);
    expect(entries).toHaveLength(2);
    for (const { file, mail } of entries) {
      expect(Object.keys(mail).sort()).toEqual(["html", "subject", "text", "to"]);
      expect(mail.to).toBe(email);
      expect(mail.html).toMatch(/^<!doctype html>/);
      expect(statSync(file).mode & 0o777).toBe(0o600);
    }
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(entries.map((entry) => entry.mail.subject)).toEqual([
      "Confirm your email address for Portcullis",
      "Reset your Portcullis password",
    ]);
    expect(readdirSync(dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });
});

describe("password changed", () => {
  it("mails the owner when the password is changed, saying from where", async () => {
    const t = await open();
    const email = uniqueEmail("changed");
    const session = await t.signUp(email);

    const changed = await t.app.inject({
      method: "POST",
      url: "/v1/me/password",
      headers: {
        ...bearer(session.accessToken),
        "content-type": "application/json",
        "user-agent": FIREFOX_128,
      },
      payload: JSON.stringify({ currentPassword: STRONG_PASSWORD, newPassword: "marble-Teapot-58-horizon" }),
      remoteAddress: "203.0.113.50",
    });
    expect(changed.statusCode, changed.body).toBe(204);

    const notice = (await mailsTo(t, email)).find(
      (mail) => mail.subject === "Your Portcullis password was changed",
    );
    expect(notice?.text).toContain("203.0.113.50");
    expect(notice?.text).toContain(FIREFOX_128);
  });
});

describe("new sign-in from a new device", () => {
  it("stays quiet for an account's first sign-in, the same device, a browser update and a neighbouring address", async () => {
    const t = await open();
    const email = uniqueEmail("quiet");
    await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD });

    expect((await loginFrom(t, email, FIREFOX_128, "203.0.113.7")).statusCode).toBe(200);
    expect((await loginFrom(t, email, FIREFOX_128, "203.0.113.7")).statusCode).toBe(200);
    expect((await loginFrom(t, email, FIREFOX_129, "203.0.113.7")).statusCode).toBe(200);
    expect((await loginFrom(t, email, FIREFOX_128, "203.0.113.99")).statusCode).toBe(200);

    expect((await subjectsTo(t, email)).filter((subject) => NEW_SIGN_IN.test(subject))).toEqual([]);
  });

  it("mails the owner when a device and network never seen before signs in, and records it", async () => {
    const t = await open();
    const email = uniqueEmail("newdevice");
    await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD });
    await loginFrom(t, email, FIREFOX_128, "203.0.113.7");

    const phone = await loginFrom(t, email, PHONE, "198.51.100.23");
    expect(phone.statusCode).toBe(200);

    const notices = (await mailsTo(t, email)).filter((mail) => NEW_SIGN_IN.test(mail.subject));
    expect(notices).toHaveLength(1);
    expect(notices[0]?.text).toContain("198.51.100.23");
    expect(notices[0]?.text).toContain(PHONE);
    const userId = phone.json<TokenResponseBody>().user.id;
    const events = await t.database.db
      .selectFrom("audit_events")
      .select("type")
      .where("user_id", "=", userId)
      .where("type", "=", "new_device.signed_in")
      .execute();
    expect(events).toHaveLength(1);
  });

  it("knows a device from an older session too, not only from the newest few", async () => {
    const t = await open();
    const email = uniqueEmail("olddevice");
    await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD });
    await loginFrom(t, email, FIREFOX_128, "203.0.113.7");
    for (let i = 0; i < 6; i++)
      expect((await loginFrom(t, email, PHONE, "198.51.100.23")).statusCode).toBe(200);

    expect((await loginFrom(t, email, FIREFOX_128, "203.0.113.7")).statusCode).toBe(200);

    const notices = (await mailsTo(t, email)).filter((mail) => NEW_SIGN_IN.test(mail.subject));
    expect(notices.map((mail) => mail.text.includes(PHONE))).toEqual([true]);
  });

  it("HTML-escapes what the request said about itself", async () => {
    const t = await open();
    const email = uniqueEmail("escape");
    await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD });
    await loginFrom(t, email, FIREFOX_128, "203.0.113.7");
    const hostile = `<img src=x onerror="alert(1)"><a href="https://evil.example">Secure your account</a>`;

    await loginFrom(t, email, hostile, "198.51.100.77");

    const notice = (await mailsTo(t, email)).find((mail) => NEW_SIGN_IN.test(mail.subject));
    expect(notice?.html).not.toContain("<img");
    expect(notice?.html).not.toContain('<a href="https://evil.example"');
    expect(notice?.html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
  });
});

describe("registration with a taken address", () => {
  it("by default answers 409 email_taken and mails nobody", async () => {
    const t = await open();
    const email = uniqueEmail("taken");
    await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD });
    const before = await subjectsTo(t, email);

    expectProblem(
      await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD }),
      409,
      "email_taken",
    );
    expect(await subjectsTo(t, email)).toEqual(before);
  });

  it("with PORTCULLIS_EMAIL_TAKEN=notify answers 202 exactly as for a new address, and mails the owner", async () => {
    const t = await open({ PORTCULLIS_EMAIL_TAKEN: "notify" });
    const owner = uniqueEmail("owner");
    const fresh = uniqueEmail("fresh");
    const first = await t.post("/v1/auth/register", { email: owner, password: STRONG_PASSWORD });
    expect(first.statusCode).toBe(202);

    const taken = await t.post("/v1/auth/register", { email: owner, password: "another-Good-pass-77" });
    const created = await t.post("/v1/auth/register", { email: fresh, password: STRONG_PASSWORD });

    expect(taken.statusCode).toBe(202);
    expect(created.statusCode).toBe(202);
    expect(taken.body).toBe(created.body);
    expect(taken.headers["content-type"]).toBe(created.headers["content-type"]);
    expect(await subjectsTo(t, owner)).toEqual([
      "Confirm your email address for Portcullis",
      "Someone tried to create a Portcullis account with your address",
    ]);
    expect(await subjectsTo(t, fresh)).toEqual(["Confirm your email address for Portcullis"]);
    // The attempt changed nothing: the owner's password still works, the other one does not.
    expect((await t.post("/v1/auth/login", { email: owner, password: STRONG_PASSWORD })).statusCode).toBe(
      200,
    );
    expectProblem(
      await t.post("/v1/auth/login", { email: owner, password: "another-Good-pass-77" }),
      401,
      "invalid_credentials",
    );
  });
});
