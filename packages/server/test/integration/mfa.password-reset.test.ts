/**
 * Invariant: a password reset never bypasses MFA (ASVS 6.4.3; security.md §2.4 item 20). A reset
 * sets the password and ends every session but leaves the second factors as they were, so the
 * next login with the new password still answers `mfaRequired` — for TOTP and for passkeys.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSignedInUser } from "../support/accounts.js";
import { latestMailTo } from "../support/mail-outbox-folder.js";
import { completeMfa, currentCode, enrolTotp, nextStep } from "../support/mfa.js";
import { expectProblem } from "../support/problem-assertions.js";
import { createManualClock, createTestApp, PUBLIC_URL, type TestApp } from "../support/test-app.js";
import { createSoftwareAuthenticator } from "../support/webauthn-authenticator.js";

const NEW_PASSWORD = "marble-Teapot-58-horizon";

describe("password reset and MFA", () => {
  const clock = createManualClock(Date.now());
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ clock, env: { PORTCULLIS_EMAIL_RATE_LIMIT: "off" } });
  });
  afterAll(() => t.close());

  async function resetPassword(email: string): Promise<void> {
    expect((await t.post("/v1/password/forgot", { email })).statusCode).toBe(202);
    const mail = await latestMailTo(t, email, /Reset your/);
    const token = new RegExp(`${PUBLIC_URL}/reset-password\\?token=([A-Za-z0-9_-]+)`).exec(mail.text)?.[1];
    expect(token).toBeDefined();
    const reset = await t.post("/v1/password/reset", { token, password: NEW_PASSWORD });
    expect(reset.statusCode, reset.body).toBe(204);
  }

  it("the next login after a reset still asks for the second factor", async () => {
    const user = await createSignedInUser(t);
    const { secret } = await enrolTotp(t, user.headers);
    await resetPassword(user.email);

    // The reset ended the session that enrolled TOTP, and left TOTP enrolled.
    expectProblem(await t.get("/v1/me", user.headers), 401, "invalid_token");
    const login = await t.post("/v1/auth/login", { email: user.email, password: NEW_PASSWORD });
    expect(login.statusCode, login.body).toBe(200);
    const body = login.json<{ mfaRequired?: boolean; mfaToken: string; accessToken?: string }>();
    expect(body.mfaRequired).toBe(true);
    expect(body.accessToken).toBeUndefined();

    nextStep(clock);
    const done = await completeMfa(t, { mfaToken: body.mfaToken, code: currentCode(t, secret) });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json<{ user: { mfaEnabled: boolean } }>().user.mfaEnabled).toBe(true);
  });

  it("a passkey-only second factor is asked for after a reset too", async () => {
    const user = await createSignedInUser(t);
    const authenticator = createSoftwareAuthenticator({ origin: PUBLIC_URL });
    const options = await t.post("/v1/webauthn/registration/options", {}, user.headers);
    const credential = authenticator.register(options.json());
    expect((await t.post("/v1/webauthn/registration", { credential }, user.headers)).statusCode).toBe(201);
    await resetPassword(user.email);

    const login = await t.post("/v1/auth/login", { email: user.email, password: NEW_PASSWORD });
    const body = login.json<{ mfaRequired?: boolean; methods: string[]; accessToken?: string }>();
    expect(body).toMatchObject({ mfaRequired: true, methods: ["backup_code", "webauthn"] });
    expect(body.accessToken).toBeUndefined();
  });
});
