/**
 * Invariant: no second-factor secret reaches the logs (ASVS 16.2.5; OWASP MFA cheat sheet: OTPs
 * "never logged"). With the production logger at its most verbose, a whole MFA life — TOTP setup
 * (secret, otpauth URL, QR code), enable, the backup codes, a login's mfaToken, the code that
 * finishes it, a passkey's registration and assertion — leaves none of them in any line, and
 * values logged under those names are censored.
 */
import { Secret } from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSignedInUser } from "../support/accounts.js";
import { completeMfa, currentCode, loginForMfa, nextStep } from "../support/mfa.js";
import { createManualClock, createTestApp, PUBLIC_URL, type TestApp } from "../support/test-app.js";
import { createSoftwareAuthenticator } from "../support/webauthn-authenticator.js";

describe("MFA and log redaction", () => {
  const clock = createManualClock(Date.now());
  let t: TestApp;
  const lines: string[] = [];
  beforeAll(async () => {
    t = await createTestApp({
      clock,
      env: { PORTCULLIS_LOG_LEVEL: "trace" },
      logStream: { write: (line) => lines.push(line) },
    });
  });
  afterAll(() => t.close());

  it("keeps TOTP secrets, codes, backup codes, mfaTokens and passkey responses out of every line", async () => {
    const user = await createSignedInUser(t);
    const before = lines.length;
    const setup = (await t.post("/v1/mfa/totp/setup", {}, user.headers)).json<{
      secret: string;
      otpauthUrl: string;
      qrCode: string;
    }>();
    const secret = Secret.fromBase32(setup.secret).bytes;
    const enableCode = currentCode(t, secret);
    const enabled = await t.post("/v1/mfa/totp/enable", { code: enableCode }, user.headers);
    const { backupCodes } = enabled.json<{ backupCodes: string[] }>();
    nextStep(clock);
    const { mfaToken } = await loginForMfa(t, user.email);
    const code = currentCode(t, secret);
    expect((await completeMfa(t, { mfaToken, code })).statusCode).toBe(200);
    const backup = await loginForMfa(t, user.email);
    expect((await completeMfa(t, { mfaToken: backup.mfaToken, backupCode: backupCodes[0] })).statusCode).toBe(
      200,
    );

    const authenticator = createSoftwareAuthenticator({ origin: PUBLIC_URL });
    const options = await t.post("/v1/webauthn/registration/options", {}, user.headers);
    const credential = authenticator.register(options.json());
    expect((await t.post("/v1/webauthn/registration", { credential }, user.headers)).statusCode).toBe(201);
    const assertion = authenticator.assert((await t.post("/v1/webauthn/authentication/options", {})).json());
    expect((await t.post("/v1/webauthn/authentication", { credential: assertion })).statusCode).toBe(200);

    const written = lines.slice(before);
    // The requests were logged at all (otherwise this test would prove nothing): one line each.
    expect(written.filter((line) => line.includes('"route":"/v1/auth/mfa"'))).toHaveLength(2);
    expect(written.filter((line) => line.includes('"route":"/v1/mfa/totp/enable"'))).toHaveLength(1);
    expect(written.filter((line) => line.includes('"route":"/v1/webauthn/authentication"'))).toHaveLength(1);
    const secrets = [
      setup.secret,
      setup.otpauthUrl,
      setup.qrCode.slice(30, 90),
      enableCode,
      code,
      mfaToken,
      backup.mfaToken,
      ...backupCodes,
      credential.response.attestationObject,
      assertion.response.signature,
    ];
    for (const line of written) for (const value of secrets) expect(line).not.toContain(value);
  });

  it("censors MFA values logged under their names", () => {
    const before = lines.length;
    t.app.log.info(
      {
        body: { code: "135790", backupCode: "abcd-efgh", mfaToken: "mfa-token-value", password: "pw-value" },
        reply: {
          secret: "SECRETBASE32",
          otpauthUrl: "otpauth://totp/x?secret=SECRETBASE32",
          qrCode: "data:image/png;base64,QRDATA",
          backupCodes: ["code-one", "code-two"],
          webauthn: { response: { signature: "sig-value" } },
        },
      },
      "mfa values",
    );
    const line = lines.slice(before).join("\n");
    expect(line).toContain("mfa values");
    for (const value of [
      "135790",
      "abcd-efgh",
      "mfa-token-value",
      "pw-value",
      "SECRETBASE32",
      "QRDATA",
      "code-one",
      "sig-value",
    ]) {
      expect(line).not.toContain(value);
    }
  });
});
