/**
 * The MFA aggregate as the domain sees it, and the port `src/store/sql` implements for it. Every
 * single-use thing is spent with a compare-and-swap, so of two instances (or two requests) that
 * check the same code at the same moment exactly one succeeds.
 */
import type { SealedTotpSecret } from "./totp-secret-box.js";

/** The second factors a sign-in may ask for (API.md `methods`). */
export type MfaMethod = "totp" | "backup_code" | "webauthn";

export interface TotpEnrollment {
  userId: string;
  secret: SealedTotpSecret;
  createdAt: number;
  /** Null while the setup waits for its first code. */
  enabledAt: number | null;
  /** The last RFC 6238 time step accepted; a code of this step or an earlier one is refused. */
  lastUsedStep: number;
}

/** What second factors a user has, counted in one query. */
export interface MfaFactors {
  totp: boolean;
  /** Unused backup codes. */
  backupCodes: number;
  passkeys: number;
}

export interface MfaStore {
  findMfaFactors(userId: string): Promise<MfaFactors>;
  findTotpEnrollment(userId: string): Promise<TotpEnrollment | undefined>;
  /** Stores a pending secret (replacing a pending one); false when TOTP is already enabled. */
  savePendingTotp(userId: string, secret: SealedTotpSecret, at: number): Promise<boolean>;
  /**
   * Compare-and-swap: enables the pending enrolment and marks `step` used; false when it is not
   * pending any more or the step is not newer than the last one used.
   */
  enableTotp(userId: string, step: number, at: number): Promise<boolean>;
  /** Compare-and-swap on `last_used_step < step`: false for a replayed (or older) step. */
  spendTotpStep(userId: string, step: number): Promise<boolean>;
  /** True when there was an enrolment (pending or enabled) to delete. */
  deleteTotp(userId: string): Promise<boolean>;
  /** The user's backup codes become exactly these (the old ones stop working). */
  replaceBackupCodes(userId: string, codeHashes: string[], at: number): Promise<void>;
  /** Compare-and-swap: true only for the one caller that spent an unused code. */
  spendBackupCode(userId: string, codeHash: string, at: number): Promise<boolean>;
  deleteBackupCodes(userId: string): Promise<number>;
  /** `users.mfa_enabled`, kept in the transaction of each factor change. */
  setMfaEnabled(userId: string, enabled: boolean, at: number): Promise<void>;
}
