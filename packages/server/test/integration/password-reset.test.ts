/**
 * Invariant: a password-reset link resets exactly one account's password, once, within an hour,
 * and ends every session of that account without signing anyone in. The link arrives by mail
 * (over real SMTP here) and is built from PORTCULLIS_PUBLIC_URL; its token has 256 random bits
 * and is stored only as its SHA-256. A token used twice, expired, unknown, issued for
 * another purpose (email verification) or superseded by a newer one answers `400
 * invalid_token`; a weak password answers `400 weak_password` and leaves the token usable.
 * (API.md "Password reset and email verification"; ASVS 6.4.1, 7.4.3, 6.4.3; OWASP Forgot
 * Password cheat sheet; security.md §2.9 item 39.)
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createManualClock } from "../../src/domain/clock.js";
import { expectProblem } from "../support/problem-assertions.js";
import { linkIn, type SmtpPeer, startSmtpPeer, tokenOf } from "../support/smtp-peer.js";
import {
  bearer,
  createTestApp,
  PUBLIC_URL,
  STRONG_PASSWORD,
  type TestApp,
  type TokenResponseBody,
  uniqueEmail,
} from "../support/test-app.js";

const NEW_PASSWORD = "marble-Teapot-58-horizon";
const HOUR_MS = 3_600_000;

describe("password reset", () => {
  let smtp: SmtpPeer;
  let t: TestApp;
  const clock = createManualClock(Date.now());

  beforeAll(async () => {
    smtp = await startSmtpPeer();
    t = await createTestApp({ env: { SMTP_URL: smtp.url, PORTCULLIS_EMAIL_RATE_LIMIT: "off" }, clock });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  const login = (email: string, password: string) => t.post("/v1/auth/login", { email, password });

  /** Registers `email` and drops its verification mail. */
  async function register(email = uniqueEmail("reset")): Promise<string> {
    const response = await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD });
    expect(response.statusCode, response.body).toBe(201);
    await smtp.nextMessageTo(email);
    return email;
  }

  /** Asks for a reset and returns the token from the link in the mail that arrives. */
  async function requestResetToken(email: string): Promise<string> {
    const forgot = await t.post("/v1/password/forgot", { email });
    expect(forgot.statusCode, forgot.body).toBe(202);
    const mail = await smtp.nextMessageTo(email);
    expect(mail.subject).toBe("Reset your Portcullis password");
    return tokenOf(linkIn(mail.text, `${PUBLIC_URL}/reset-password?token=`));
  }

  const reset = (token: string, password = NEW_PASSWORD) => t.post("/v1/password/reset", { token, password });

  it("mails a link under PORTCULLIS_PUBLIC_URL whose token has 256 bits and is stored only hashed", async () => {
    const email = await register();
    const token = await requestResetToken(email);

    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, "base64url")).toHaveLength(32);
    const rows = await t.database.db.selectFrom("recovery_tokens").selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(token);
    const sha256 = createHash("sha256").update(token).digest("hex");
    expect(rows.find((row) => row.token_hash === sha256)).toMatchObject({ purpose: "password_reset", email });
  });

  it("sets the new password, answers 204 with no tokens, and mails a notice", async () => {
    const email = await register();
    const token = await requestResetToken(email);

    const response = await reset(token);

    expect(response.statusCode, response.body).toBe(204);
    expect(response.body).toBe("");
    expect(response.headers["set-cookie"]).toBeUndefined();
    expectProblem(await login(email, STRONG_PASSWORD), 401, "invalid_credentials");
    expect((await login(email, NEW_PASSWORD)).statusCode).toBe(200);
    const notice = await smtp.nextMessageTo(email);
    expect(notice.subject).toBe("Your Portcullis password was changed");
    expect(notice.text).not.toContain("token=");
  });

  it("revokes every session of the user: access tokens and refresh tokens stop working at once", async () => {
    const email = await register();
    const sessions: TokenResponseBody[] = [];
    for (let i = 0; i < 3; i++)
      sessions.push((await login(email, STRONG_PASSWORD)).json<TokenResponseBody>());
    const token = await requestResetToken(email);

    expect((await reset(token)).statusCode).toBe(204);

    for (const session of sessions) {
      expectProblem(await t.get("/v1/me", bearer(session.accessToken)), 401, "invalid_token");
      const refreshed = await t.post("/v1/auth/refresh", { refreshToken: session.refreshToken });
      expectProblem(refreshed, 401, "invalid_refresh_token");
    }
    const revoked = await t.database.db
      .selectFrom("sessions")
      .select(["revoked_reason"])
      .where("user_id", "=", sessions[0]?.user.id ?? "")
      .execute();
    expect(revoked.map((row) => row.revoked_reason)).toEqual([
      "password_reset",
      "password_reset",
      "password_reset",
    ]);
  });

  it("refuses the same token a second time with 400 invalid_token", async () => {
    const email = await register();
    const token = await requestResetToken(email);
    expect((await reset(token)).statusCode).toBe(204);

    const again = expectProblem(await reset(token, "another-Fine-password-9"), 400, "invalid_token");

    expect(again.detail).toMatch(/used|expired/);
    expect((await login(email, NEW_PASSWORD)).statusCode).toBe(200);
  });

  it("lets exactly one of two concurrent resets with one token through", async () => {
    const email = await register();
    const token = await requestResetToken(email);

    const results = await Promise.all([
      reset(token, "first-Choice-pass-11"),
      reset(token, "second-Choice-pass-22"),
    ]);

    expect(results.map((response) => response.statusCode).sort()).toEqual([204, 400]);
  });

  it("works until the hour is up and refuses the token after (controllable clock)", async () => {
    const early = await register();
    const earlyToken = await requestResetToken(early);
    clock.advance(HOUR_MS - 1_000);
    expect((await reset(earlyToken)).statusCode).toBe(204);

    const late = await register();
    const lateToken = await requestResetToken(late);
    clock.advance(HOUR_MS);
    expectProblem(await reset(lateToken), 400, "invalid_token");
    expect((await login(late, STRONG_PASSWORD)).statusCode).toBe(200);
  });

  it("resets only the account the token was issued for, never another user's", async () => {
    const alice = await register(uniqueEmail("alice"));
    const bob = await register(uniqueEmail("bob"));
    const aliceSession = (await login(alice, STRONG_PASSWORD)).json<TokenResponseBody>();
    const bobsToken = await requestResetToken(bob);

    expect((await reset(bobsToken)).statusCode).toBe(204);

    expect((await login(alice, STRONG_PASSWORD)).statusCode).toBe(200);
    expect((await t.get("/v1/me", bearer(aliceSession.accessToken))).statusCode).toBe(200);
    expect((await login(bob, NEW_PASSWORD)).statusCode).toBe(200);
  });

  it("refuses a token that was never issued, and a malformed one, alike", async () => {
    for (const token of ["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "not a token!", "x".repeat(300)]) {
      expectProblem(await reset(token), 400, "invalid_token");
    }
  });

  it("refuses an email-verification token, which is for another purpose", async () => {
    const email = uniqueEmail("purpose");
    await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD });
    const verification = tokenOf(
      linkIn((await smtp.nextMessageTo(email)).text, `${PUBLIC_URL}/verify-email`),
    );

    expectProblem(await reset(verification), 400, "invalid_token");
    const resetToken = await requestResetToken(email);
    expectProblem(await t.post("/v1/email/verify", { token: resetToken }), 400, "invalid_token");
  });

  it("lets only the newest link work once another reset was asked for", async () => {
    const email = await register();
    const older = await requestResetToken(email);
    const newer = await requestResetToken(email);

    expectProblem(await reset(older), 400, "invalid_token");
    expect((await reset(newer)).statusCode).toBe(204);
  });

  it("answers a weak password with 400 weak_password and keeps the token usable", async () => {
    const email = await register();
    const token = await requestResetToken(email);

    const weak = expectProblem(await reset(token, "password"), 400, "weak_password");

    expect(weak.errors?.[0]).toMatchObject({ pointer: "/password" });
    expect((await reset(token)).statusCode).toBe(204);
  });

  it("does not sign in by itself: no session is opened and no cookie set (MFA stays in the way)", async () => {
    const email = await register();
    const token = await requestResetToken(email);
    const response = await reset(token);
    expect(response.statusCode).toBe(204);
    expect(response.headers["set-cookie"]).toBeUndefined();
    const sessions = await t.database.db
      .selectFrom("sessions")
      .innerJoin("users", "users.id", "sessions.user_id")
      .select("sessions.id")
      .where("users.email", "=", email)
      .where("sessions.revoked_at", "is", null)
      .execute();
    expect(sessions).toEqual([]);
  });

  it("marks the address verified, since the link reached the account's own mailbox", async () => {
    const email = await register();
    const token = await requestResetToken(email);
    expect((await reset(token)).statusCode).toBe(204);

    const signedIn = (await login(email, NEW_PASSWORD)).json<TokenResponseBody>();
    const me = await t.get("/v1/me", bearer(signedIn.accessToken));
    expect(me.json()).toMatchObject({ user: { emailVerified: true } });
  });

  it("records each step in the audit log", async () => {
    const email = await register();
    await login(email, STRONG_PASSWORD);
    const token = await requestResetToken(email);
    expect((await reset(token)).statusCode).toBe(204);

    const user = await t.database.db
      .selectFrom("users")
      .select("id")
      .where("email", "=", email)
      .executeTakeFirstOrThrow();
    const events = await t.database.db
      .selectFrom("audit_events")
      .select(["type", "details"])
      .where("user_id", "=", user.id)
      .orderBy("seq")
      .execute();
    const types = events.map((event) => event.type);
    expect(types).toEqual(
      expect.arrayContaining([
        "email.verification_sent",
        "password.reset_requested",
        "session.revoked",
        "password.reset",
        "email.verified",
      ]),
    );
    expect(types.indexOf("password.reset_requested")).toBeLessThan(types.indexOf("password.reset"));
    expect(JSON.stringify(events)).not.toContain(token);
  });
});
