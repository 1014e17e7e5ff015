/**
 * MFA in tests: enrol a user in TOTP the way a client does (setup → scan → enable with a first
 * code), compute codes from the secret the server handed out, and sign in through both steps.
 * Codes depend on time: tests drive a manual clock and move it to the next 30-second step when
 * they need a code the server has not seen yet.
 */
import type { LightMyRequestResponse } from "fastify";
import { Secret } from "otpauth";
import { expect } from "vitest";
import { totpCode } from "../../src/domain/mfa/totp.js";
import type { createManualClock } from "./test-app.js";
import { STRONG_PASSWORD, type TestApp } from "./test-app.js";

export const TOTP_STEP_MS = 30_000;

export type ManualClock = ReturnType<typeof createManualClock>;

export interface TotpEnrolment {
  secret: Uint8Array;
  backupCodes: string[];
}

export interface MfaRequiredBody {
  mfaRequired: true;
  mfaToken: string;
  methods: string[];
}

/** The current code of `secret` on the app's clock. */
export const currentCode = (t: TestApp, secret: Uint8Array) => totpCode(secret, t.clock.now());

/** Moves the clock to the start of the next TOTP step, so the next code is one not used yet. */
export function nextStep(clock: ManualClock): void {
  clock.advance(TOTP_STEP_MS - (clock.now() % TOTP_STEP_MS));
}

/** Setup and enable, as a client does; returns the secret (from the base32 the server gave) and the backup codes. */
export async function enrolTotp(t: TestApp, headers: Record<string, string>): Promise<TotpEnrolment> {
  const setup = await t.post("/v1/mfa/totp/setup", {}, headers);
  expect(setup.statusCode, setup.body).toBe(200);
  const secret = Secret.fromBase32(setup.json<{ secret: string }>().secret).bytes;
  const enabled = await t.post("/v1/mfa/totp/enable", { code: currentCode(t, secret) }, headers);
  expect(enabled.statusCode, enabled.body).toBe(200);
  return { secret, backupCodes: enabled.json<{ backupCodes: string[] }>().backupCodes };
}

/** The first step of a sign-in of an account with a second factor. */
export async function loginForMfa(
  t: TestApp,
  email: string,
  extra: Record<string, unknown> = {},
): Promise<MfaRequiredBody> {
  const response = await t.post("/v1/auth/login", { email, password: STRONG_PASSWORD, ...extra });
  expect(response.statusCode, response.body).toBe(200);
  const body = response.json<MfaRequiredBody>();
  expect(body.mfaRequired, response.body).toBe(true);
  return body;
}

export const completeMfa = (
  t: TestApp,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> => t.post("/v1/auth/mfa", body, headers);

/** The claims of an access token, unverified (the server verified it when it issued it). */
export const claimsOf = (accessToken: string) =>
  JSON.parse(Buffer.from(accessToken.split(".")[1] ?? "", "base64url").toString()) as {
    amr: string[];
    sid: string;
    sub: string;
    auth_time: number;
  };
