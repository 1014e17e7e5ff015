/**
 * Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP), through `otpauth`: SHA-1, six
 * digits, 30-second steps from T0 = 0, what every authenticator app supports. A code is checked
 * against the server's clock only (ASVS 6.5.8) with one step of tolerance either side for
 * network delay and clock drift (RFC 6238 §5.2); the step it matched is returned so the caller
 * can refuse a step that was already used (RFC 6238 §5.2: "MUST NOT accept the second attempt").
 * Secrets are 160 random bits from the CSPRNG (RFC 4226 R6; ASVS 6.5.3).
 */
import { randomBytes } from "node:crypto";
import { Secret, TOTP } from "otpauth";
import QRCode from "qrcode";

export const TOTP_ALGORITHM = "SHA1";
export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_SECONDS = 30;
/** Steps accepted on either side of the current one. */
export const TOTP_WINDOW = 1;
const TOTP_SECRET_BYTES = 20;

const TOTP_CODE = /^[0-9]{6}$/;

/** A new 160-bit TOTP secret. */
export function generateTotpSecret(): Uint8Array {
  return new Uint8Array(randomBytes(TOTP_SECRET_BYTES));
}

const toSecret = (bytes: Uint8Array) => Secret.fromHex(Buffer.from(bytes).toString("hex"));

/** RFC 4648 base32, as authenticator apps take it when typed in. */
export function totpSecretBase32(secret: Uint8Array): string {
  return toSecret(secret).base32;
}

/** The RFC 6238 time step of `timestampMs`. */
export function totpStep(timestampMs: number): number {
  return TOTP.counter({ period: TOTP_PERIOD_SECONDS, timestamp: timestampMs });
}

/**
 * The code for `timestampMs`. The options exist for the RFC 6238 Appendix B vectors (8 digits,
 * SHA-256, SHA-512); Portcullis itself always uses the defaults.
 *
 * @example totpCode(secret, Date.now()) // "287082"
 */
export function totpCode(
  secret: Uint8Array,
  timestampMs: number,
  options: { algorithm?: "SHA1" | "SHA256" | "SHA512"; digits?: number } = {},
): string {
  return TOTP.generate({
    secret: toSecret(secret),
    algorithm: options.algorithm ?? TOTP_ALGORITHM,
    digits: options.digits ?? TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
    timestamp: timestampMs,
  });
}

/** Whether `input` has the shape of a TOTP code (six digits; spaces are ignored). */
export function looksLikeTotpCode(input: string): boolean {
  return TOTP_CODE.test(input.replace(/\s+/g, ""));
}

/**
 * The time step `code` belongs to, within ±1 step of `nowMs`; null when it matches none. The
 * comparison is constant-time (otpauth uses `crypto.timingSafeEqual`).
 *
 * @example
 * const step = matchTotpStep(secret, "287082", clock.now());
 * if (step !== null && (await store.spendTotpStep(userId, step))) { … }
 */
export function matchTotpStep(secret: Uint8Array, code: string, nowMs: number): number | null {
  const token = code.replace(/\s+/g, "");
  if (!TOTP_CODE.test(token)) return null;
  const delta = TOTP.validate({
    token,
    secret: toSecret(secret),
    algorithm: TOTP_ALGORITHM,
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
    timestamp: nowMs,
    window: TOTP_WINDOW,
  });
  return delta === null ? null : totpStep(nowMs) + delta;
}

/**
 * The `otpauth://totp/…` URI authenticator apps scan (Google Authenticator key URI format):
 * issuer and account in the label and the `issuer` parameter, the algorithm, digits and period.
 */
export function totpAuthUri(options: { secret: Uint8Array; issuer: string; accountName: string }): string {
  return new TOTP({
    issuer: options.issuer,
    label: options.accountName,
    secret: toSecret(options.secret),
    algorithm: TOTP_ALGORITHM,
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
  }).toString();
}

/** The URI as a QR code, a `data:image/png;base64,…` URL for an `<img>`. */
export function renderTotpQrCode(uri: string): Promise<string> {
  return QRCode.toDataURL(uri, { type: "image/png", errorCorrectionLevel: "M", margin: 2, width: 240 });
}
