/**
 * Checking a second-factor code — a TOTP code or a backup code — wherever one is asked for: the
 * second step of a sign-in, step-up, disabling TOTP, new backup codes. Each check, as named steps:
 * throttle (per account, mfa-failure-limit.ts) → verify → spend it with a compare-and-swap, so
 * a code is accepted once even across instances (RFC 6238 §5.2; ASVS 6.5.1) → on failure,
 * record `mfa.code_failed` and count it; on success, clear the count.
 */
import type { ClientContext } from "../audit/audit-event.js";
import type { Clock } from "../clock.js";
import type { Persistence } from "../persistence.js";
import { hashBackupCode, normalizeBackupCode } from "./backup-codes.js";
import type { MfaFailureLimit } from "./mfa-failure-limit.js";
import { looksLikeTotpCode, matchTotpStep } from "./totp.js";
import type { TotpSecretBox } from "./totp-secret-box.js";

/** Where a code was asked for; recorded with failures. */
export type CodeContext = "sign_in" | "step_up" | "totp_enable" | "totp_disable" | "backup_codes";

export type CodeCheck =
  | { ok: true; method: "totp" | "backup_code" }
  | { ok: false; code: "invalid_mfa_code" }
  | { ok: false; code: "rate_limited"; retryAfterSeconds: number };

export interface SecondFactorVerifier {
  verifyTotp(userId: string, code: string, context: CodeContext, client: ClientContext): Promise<CodeCheck>;
  verifyBackupCode(
    userId: string,
    code: string,
    context: CodeContext,
    client: ClientContext,
  ): Promise<CodeCheck>;
  /** A TOTP code when it has the shape of one (six digits), else a backup code. */
  verifyCode(userId: string, code: string, context: CodeContext, client: ClientContext): Promise<CodeCheck>;
  /** Seconds until the user may try again; 0 when they may now. */
  retryAfter(userId: string): Promise<number>;
  /** Records and counts a failed factor checked elsewhere (a passkey), like a wrong code. */
  recordFailure(
    userId: string,
    method: "totp" | "backup_code" | "webauthn",
    context: CodeContext,
    reason: string,
    client: ClientContext,
  ): Promise<void>;
  /** A factor checked elsewhere succeeded: the failure count starts again. */
  recordSuccess(userId: string): Promise<void>;
}

export interface SecondFactorDeps {
  persistence: Persistence;
  clock: Clock;
  secretBox: TotpSecretBox;
  failures: MfaFailureLimit;
}

export function createSecondFactorVerifier(deps: SecondFactorDeps): SecondFactorVerifier {
  const { persistence, clock, secretBox, failures } = deps;

  async function recordFailure(
    userId: string,
    method: "totp" | "backup_code" | "webauthn",
    context: CodeContext,
    reason: string,
    client: ClientContext,
  ): Promise<void> {
    await failures.recordFailure(userId);
    await persistence.audit.appendAuditEvent({
      type: "mfa.code_failed",
      userId,
      actorId: null,
      ip: client.ip,
      userAgent: client.userAgent,
      details: { method, context, reason },
      at: clock.now(),
    });
  }

  /** Throttle, check, then record the outcome. */
  async function check(
    userId: string,
    method: "totp" | "backup_code",
    context: CodeContext,
    client: ClientContext,
    spend: () => Promise<"accepted" | string>,
  ): Promise<CodeCheck> {
    const wait = await failures.retryAfter(userId);
    if (wait > 0) return { ok: false, code: "rate_limited", retryAfterSeconds: wait };
    const outcome = await spend();
    if (outcome !== "accepted") {
      await recordFailure(userId, method, context, outcome, client);
      return { ok: false, code: "invalid_mfa_code" };
    }
    await failures.clear(userId);
    return { ok: true, method };
  }

  async function spendTotp(userId: string, code: string): Promise<"accepted" | string> {
    const enrollment = await persistence.mfa.findTotpEnrollment(userId);
    if (enrollment?.enabledAt == null) return "not_enrolled";
    const step = matchTotpStep(secretBox.open(enrollment.secret), code, clock.now());
    if (step === null) return "wrong_code";
    // The compare-and-swap refuses a step already used, here or on another instance.
    return (await persistence.mfa.spendTotpStep(userId, step)) ? "accepted" : "replayed";
  }

  async function spendBackupCode(userId: string, code: string): Promise<"accepted" | string> {
    const normalized = normalizeBackupCode(code);
    if (normalized === null) return "wrong_code";
    const spent = await persistence.mfa.spendBackupCode(userId, hashBackupCode(normalized), clock.now());
    return spent ? "accepted" : "wrong_code";
  }

  const verifyTotp: SecondFactorVerifier["verifyTotp"] = (userId, code, context, client) =>
    check(userId, "totp", context, client, () => spendTotp(userId, code));
  const verifyBackupCode: SecondFactorVerifier["verifyBackupCode"] = (userId, code, context, client) =>
    check(userId, "backup_code", context, client, () => spendBackupCode(userId, code));

  return {
    verifyTotp,
    verifyBackupCode,
    verifyCode: (userId, code, context, client) =>
      looksLikeTotpCode(code)
        ? verifyTotp(userId, code, context, client)
        : verifyBackupCode(userId, code, context, client),
    retryAfter: (userId) => failures.retryAfter(userId),
    recordFailure,
    recordSuccess: (userId) => failures.clear(userId),
  };
}
