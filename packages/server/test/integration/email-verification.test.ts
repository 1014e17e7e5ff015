/**
 * Invariant: an address counts as verified only after someone opened the single-use link that
 * was mailed to it. Registration queues the mail in its own transaction; `POST /v1/email/verify`
 * spends the token once, within a day, and answers the user with `emailVerified: true`; resend
 * is for signed-in users, limited per address and per client address; and with
 * PORTCULLIS_REQUIRE_VERIFIED_EMAIL=true an unverified account cannot sign in, which only someone
 * who knows its password ever learns (API.md "Password reset and email verification",
 * "Registration and login"; ASVS 6.4.1).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createManualClock } from "../../src/domain/clock.js";
import { latestMailTo, mailsTo } from "../support/mail-outbox-folder.js";
import { expectProblem } from "../support/problem-assertions.js";
import { linkIn, tokenOf } from "../support/smtp-peer.js";
import {
  bearer,
  createTestApp,
  PUBLIC_URL,
  STRONG_PASSWORD,
  type TestApp,
  type TokenResponseBody,
  uniqueEmail,
} from "../support/test-app.js";

const VERIFICATION = /^Confirm your email address/;

async function verificationToken(t: TestApp, email: string): Promise<string> {
  const mail = await latestMailTo(t, email, VERIFICATION);
  return tokenOf(linkIn(mail.text, `${PUBLIC_URL}/verify-email?token=`));
}

describe("email verification", () => {
  const clock = createManualClock(Date.now());
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ clock, env: { PORTCULLIS_EMAIL_RATE_LIMIT: "off" } });
  });
  afterAll(() => t.close());

  async function signUp(): Promise<{ email: string; session: TokenResponseBody }> {
    const email = uniqueEmail("verify");
    return { email, session: await t.signUp(email) };
  }

  it("registers the user unverified and mails a link built from PORTCULLIS_PUBLIC_URL", async () => {
    const email = uniqueEmail("new");
    const registered = await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD });

    expect(registered.json()).toMatchObject({ user: { email, emailVerified: false } });
    const mail = await latestMailTo(t, email, VERIFICATION);
    expect(mail.text).toContain(`${PUBLIC_URL}/verify-email?token=`);
    expect(mail.text).toContain("expires in 24 hours");
  });

  it("verifies the address with the token: 200 {user} with emailVerified, and /v1/me agrees", async () => {
    const { email, session } = await signUp();

    const verified = await t.post("/v1/email/verify", { token: await verificationToken(t, email) });

    expect(verified.statusCode, verified.body).toBe(200);
    expect(verified.json()).toMatchObject({ user: { email, emailVerified: true } });
    const me = await t.get("/v1/me", bearer(session.accessToken));
    expect(me.json()).toMatchObject({ user: { emailVerified: true } });
  });

  it("accepts the token once: the second time is 400 invalid_token", async () => {
    const { email } = await signUp();
    const token = await verificationToken(t, email);
    expect((await t.post("/v1/email/verify", { token })).statusCode).toBe(200);

    expectProblem(await t.post("/v1/email/verify", { token }), 400, "invalid_token");
  });

  it("refuses the token after a day (controllable clock) and an unknown one", async () => {
    const { email } = await signUp();
    const token = await verificationToken(t, email);
    clock.advance(24 * 3_600_000);

    expectProblem(await t.post("/v1/email/verify", { token }), 400, "invalid_token");
    expectProblem(await t.post("/v1/email/verify", { token: "A".repeat(43) }), 400, "invalid_token");
  });

  it("records the mail and the verification in the audit log", async () => {
    const { email, session } = await signUp();
    await t.post("/v1/email/verify", { token: await verificationToken(t, email) });

    const types = (
      await t.database.db
        .selectFrom("audit_events")
        .select("type")
        .where("user_id", "=", session.user.id)
        .orderBy("seq")
        .execute()
    ).map((event) => event.type);
    expect(types.indexOf("email.verification_sent")).toBeGreaterThanOrEqual(0);
    expect(types.indexOf("email.verified")).toBeGreaterThan(types.indexOf("email.verification_sent"));
  });

  describe("resend", () => {
    it("answers 202 and mails a fresh link that works", async () => {
      const { email, session } = await signUp();
      const first = await verificationToken(t, email);

      const resent = await t.post("/v1/email/verify/resend", {}, bearer(session.accessToken));

      expect(resent.statusCode, resent.body).toBe(202);
      expect(resent.body).toBe("");
      const second = await verificationToken(t, email);
      expect(second).not.toBe(first);
      expect((await t.post("/v1/email/verify", { token: second })).statusCode).toBe(200);
    });

    it("sends nothing once the address is verified, and still answers 202", async () => {
      const { email, session } = await signUp();
      await t.post("/v1/email/verify", { token: await verificationToken(t, email) });
      const before = (await mailsTo(t, email)).length;

      const resent = await t.post("/v1/email/verify/resend", {}, bearer(session.accessToken));

      expect(resent.statusCode).toBe(202);
      expect((await mailsTo(t, email)).length).toBe(before);
    });

    it("needs a signed-in user: 401 without credentials", async () => {
      expectProblem(await t.post("/v1/email/verify/resend", {}), 401, "unauthenticated");
    });
  });
});

describe("email verification › resend limits", () => {
  const apps: TestApp[] = [];
  afterEach(async () => {
    while (apps.length > 0) await apps.pop()?.close();
  });
  const open = async (env: Record<string, string>) => {
    const t = await createTestApp({ env });
    apps.push(t);
    return t;
  };

  function expectRateLimited(response: Awaited<ReturnType<TestApp["post"]>>) {
    expectProblem(response, 429, "rate_limited");
    expect(String(response.headers["retry-after"])).toMatch(/^[1-9]\d*$/);
  }

  it("limits resends per address (PORTCULLIS_EMAIL_RATE_LIMIT=2/1h): the third is 429 with Retry-After", async () => {
    const t = await open({ PORTCULLIS_EMAIL_RATE_LIMIT: "2/1h" });
    const email = uniqueEmail("limited");
    const session = await t.signUp(email);
    const resend = () => t.post("/v1/email/verify/resend", {}, bearer(session.accessToken));

    expect((await resend()).statusCode).toBe(202);
    expect((await resend()).statusCode).toBe(202);
    expectRateLimited(await resend());
    // Registration's own mail plus two resends: nothing more reached the mailbox.
    expect(await mailsTo(t, email)).toHaveLength(3);
  });

  it("limits resends per client address too (PORTCULLIS_RATE_LIMIT)", async () => {
    const t = await open({ PORTCULLIS_EMAIL_RATE_LIMIT: "off", PORTCULLIS_RATE_LIMIT: "2/1m" });
    const session = await t.signUp();
    const resend = (remoteAddress: string) =>
      t.app.inject({
        method: "POST",
        url: "/v1/email/verify/resend",
        headers: bearer(session.accessToken),
        remoteAddress,
      });

    expect((await resend("198.51.100.40")).statusCode).toBe(202);
    expect((await resend("198.51.100.40")).statusCode).toBe(202);
    expectRateLimited(await resend("198.51.100.40"));
    expect((await resend("198.51.100.41")).statusCode).toBe(202);
  });
});

describe("email verification › PORTCULLIS_REQUIRE_VERIFIED_EMAIL", () => {
  const apps: TestApp[] = [];
  afterEach(async () => {
    while (apps.length > 0) await apps.pop()?.close();
  });

  it("is off by default: an unverified user signs in", async () => {
    const t = await createTestApp();
    apps.push(t);
    const email = uniqueEmail();
    await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD });
    expect((await t.post("/v1/auth/login", { email, password: STRONG_PASSWORD })).statusCode).toBe(200);
  });

  it("when on, answers the right password of an unverified address with 403 email_not_verified, and signs in after verification", async () => {
    const t = await createTestApp({ env: { PORTCULLIS_REQUIRE_VERIFIED_EMAIL: "true" } });
    apps.push(t);
    const email = uniqueEmail("strict");
    await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD });

    const refused = await t.post("/v1/auth/login", { email, password: STRONG_PASSWORD });
    const problem = expectProblem(refused, 403, "email_not_verified");
    expect(problem.title).toMatch(/verif/);
    expect(refused.json()).not.toHaveProperty("accessToken");

    // A wrong password learns nothing about the address: it is the usual 401.
    const wrong = await t.post("/v1/auth/login", { email, password: "not-the-Right-one-41" });
    const unknown = await t.post("/v1/auth/login", {
      email: uniqueEmail("nobody"),
      password: "not-the-Right-one-41",
    });
    expectProblem(wrong, 401, "invalid_credentials");
    expect(wrong.body).toBe(unknown.body);

    await t.post("/v1/email/verify", { token: await verificationToken(t, email) });
    expect((await t.post("/v1/auth/login", { email, password: STRONG_PASSWORD })).statusCode).toBe(200);
  });
});
