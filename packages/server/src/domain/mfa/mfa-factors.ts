/**
 * Which second factors count, and the `mfaEnabled` flag derived from them.
 *
 * A user "has MFA" while they have an enabled TOTP or at least one passkey (as in Keycloak and
 * Better Auth, where a registered WebAuthn credential is a second factor of its own). Backup
 * codes are a recovery path for those factors, never a factor by themselves: they are created
 * with the first factor and deleted with the last one.
 */
import type { Stores } from "../persistence.js";
import type { MfaFactors, MfaMethod } from "./mfa-store.js";

export function hasSecondFactor(factors: MfaFactors): boolean {
  return factors.totp || factors.passkeys > 0;
}

/** API.md `methods`: what a sign-in may finish with; empty when no second factor is needed. */
export function mfaMethodsOf(factors: MfaFactors): MfaMethod[] {
  if (!hasSecondFactor(factors)) return [];
  const methods: MfaMethod[] = [];
  if (factors.totp) methods.push("totp");
  if (factors.backupCodes > 0) methods.push("backup_code");
  if (factors.passkeys > 0) methods.push("webauthn");
  return methods;
}

/**
 * After a factor changed, inside its transaction: re-derives `users.mfa_enabled` and, when the
 * last factor is gone, deletes the backup codes that recovered it. Returns the factors now.
 */
export async function syncMfaState(stores: Stores, userId: string, at: number): Promise<MfaFactors> {
  let factors = await stores.mfa.findMfaFactors(userId);
  if (!hasSecondFactor(factors)) {
    await stores.mfa.deleteBackupCodes(userId);
    factors = { ...factors, backupCodes: 0 };
  }
  await stores.mfa.setMfaEnabled(userId, hasSecondFactor(factors), at);
  return factors;
}
