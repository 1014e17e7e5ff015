/**
 * Invariant: changing a second factor needs a fresh proof (ASVS 7.5.1; OWASP MFA cheat sheet).
 * Disabling TOTP needs a recent authentication (step-up) AND, in its body, a fresh code or the
 * password; a wrong one answers `401 invalid_mfa_code` and changes nothing. Step-up itself
 * (`POST /v1/auth/reauthenticate`) accepts a TOTP or backup code as well as the password, spends
 * it, and renews `auth_time`. Once TOTP is disabled the password alone signs in again, and the
 * backup codes that recovered it are gone.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSignedInUser } from "../support/accounts.js";
import { claimsOf, completeMfa, currentCode, enrolTotp, loginForMfa, nextStep } from "../support/mfa.js";
import { expectProblem } from "../support/problem-assertions.js";
import {
  bearer,
  createManualClock,
  createTestApp,
  STRONG_PASSWORD,
  type TestApp,
  type TokenResponseBody,
} from "../support/test-app.js";

const MINUTE = 60_000;

describe("MFA changes and step-up", () => {
  const clock = createManualClock(Date.now());
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ clock, env: { PORTCULLIS_REAUTH_WINDOW: "10m" } });
  });
  afterAll(() => t.close());

  const disable = (headers: Record<string, string>, body: Record<string, unknown>) =>
    t.post("/v1/mfa/totp/disable", body, headers);
  const mfaEnabled = async (headers: Record<string, string>) =>
    (await t.get("/v1/me", headers)).json<{ user: { mfaEnabled: boolean } }>().user.mfaEnabled;

  it("disabling needs a recent sign-in, even with the right code", async () => {
    const user = await createSignedInUser(t);
    const { secret } = await enrolTotp(t, user.headers);
    clock.advance(11 * MINUTE);
    expectProblem(
      await disable(user.headers, { code: currentCode(t, secret) }),
      401,
      "reauthentication_required",
    );
    expect(await mfaEnabled(user.headers)).toBe(true);
  });

  it("a wrong code or password answers 401 invalid_mfa_code and changes nothing", async () => {
    const user = await createSignedInUser(t);
    await enrolTotp(t, user.headers);
    expectProblem(await disable(user.headers, { code: "000000" }), 401, "invalid_mfa_code");
    expectProblem(await disable(user.headers, { password: "not-the-password-1" }), 401, "invalid_mfa_code");
    expectProblem(await disable(user.headers, {}), 400, "validation_failed");
    expectProblem(await disable(user.headers, { code: "1", password: "x" }), 400, "validation_failed");
    expect(await mfaEnabled(user.headers)).toBe(true);
  });

  it("with a fresh code it disables TOTP: the password alone signs in again and the backup codes are gone", async () => {
    const user = await createSignedInUser(t);
    const { secret, backupCodes } = await enrolTotp(t, user.headers);
    nextStep(clock);
    const response = await disable(user.headers, { code: currentCode(t, secret) });
    expect(response.statusCode, response.body).toBe(204);
    expect(await mfaEnabled(user.headers)).toBe(false);
    const login = await t.post("/v1/auth/login", { email: user.email, password: STRONG_PASSWORD });
    expect(claimsOf(login.json<TokenResponseBody>().accessToken).amr).toEqual(["pwd"]);
    const rows = await t.database.db
      .selectFrom("mfa_backup_codes")
      .select("id")
      .where("user_id", "=", user.user.id)
      .execute();
    expect(rows).toEqual([]);
    expect(backupCodes).toHaveLength(10);
    const events = (await t.get("/v1/me/events", user.headers)).json<{
      events: { type: string; details: Record<string, unknown> }[];
    }>().events;
    expect(events.find((event) => event.type === "mfa.disabled")?.details).toMatchObject({
      method: "totp",
      via: "totp",
      mfaEnabled: false,
    });
    expectProblem(await disable(user.headers, { password: STRONG_PASSWORD }), 409, "mfa_not_enabled");
  });

  it("with the password it disables TOTP too", async () => {
    const user = await createSignedInUser(t);
    await enrolTotp(t, user.headers);
    expect((await disable(user.headers, { password: STRONG_PASSWORD })).statusCode).toBe(204);
    expect(await mfaEnabled(user.headers)).toBe(false);
  });

  it("step-up accepts a TOTP code, spends it, and renews auth_time", async () => {
    const user = await createSignedInUser(t);
    const { secret } = await enrolTotp(t, user.headers);
    clock.advance(11 * MINUTE);
    nextStep(clock);
    const code = currentCode(t, secret);
    const renewed = await t.post("/v1/auth/reauthenticate", { code }, user.headers);
    expect(renewed.statusCode, renewed.body).toBe(200);
    const tokens = renewed.json<TokenResponseBody>();
    expect(claimsOf(tokens.accessToken).auth_time).toBe(Math.floor(clock.now() / 1000));
    expectProblem(
      await t.post("/v1/auth/reauthenticate", { code }, bearer(tokens.accessToken)),
      401,
      "invalid_mfa_code",
    );
    nextStep(clock);
    expect((await disable(bearer(tokens.accessToken), { code: currentCode(t, secret) })).statusCode).toBe(
      204,
    );
  });

  it("step-up accepts a backup code once", async () => {
    const user = await createSignedInUser(t);
    const { backupCodes } = await enrolTotp(t, user.headers);
    const code = backupCodes[3] ?? "";
    expect((await t.post("/v1/auth/reauthenticate", { code }, user.headers)).statusCode).toBe(200);
    const login = await loginForMfa(t, user.email);
    expectProblem(
      await completeMfa(t, { mfaToken: login.mfaToken, backupCode: code }),
      401,
      "invalid_mfa_code",
    );
  });

  it("step-up with a code needs a second factor, and takes a password or a code, not both", async () => {
    const user = await createSignedInUser(t);
    expectProblem(
      await t.post("/v1/auth/reauthenticate", { code: "123456" }, user.headers),
      401,
      "invalid_mfa_code",
    );
    expectProblem(
      await t.post("/v1/auth/reauthenticate", { code: "123456", password: STRONG_PASSWORD }, user.headers),
      400,
      "validation_failed",
    );
    expect(
      (await t.post("/v1/auth/reauthenticate", { password: STRONG_PASSWORD }, user.headers)).statusCode,
    ).toBe(200);
  });
});
