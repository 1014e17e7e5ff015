/**
 * A user's own second factors (API.md "MFA"): TOTP setup → enable → disable, backup codes, and
 * the administrators' reset for someone who lost every factor.
 *
 * - Setup stores a new secret, sealed, as *pending*: it does nothing until `enable` receives a
 *   first valid code, which proves the authenticator app has it. Enabling also issues ten
 *   backup codes (older ones stop working).
 * - Disabling needs a fresh code (TOTP or backup) or the password, on top of the step-up the
 *   route asks for (ASVS 7.5.1; OWASP MFA cheat sheet: re-authenticate with an existing factor).
 * - Every change, with its audit event and the `mfa_enabled` flag, is one transaction.
 * - The administrators' reset removes every factor, ends every session, mails the user and is
 *   audited with the administrator as the actor.
 */
import type { ClientContext } from "../audit/audit-event.js";
import type { Clock } from "../clock.js";
import type { AccountNotifier } from "../notifications/account-notifier.js";
import type { PasswordHasher } from "../passwords/password-hasher.js";
import { normalizePassword } from "../passwords/password-policy.js";
import type { Persistence, Stores } from "../persistence.js";
import type { LoginThrottle } from "../rate-limit/login-throttle.js";
import type { SessionService } from "../sessions/session-service.js";
import type { User } from "../users/user.js";
import { generateBackupCodes } from "./backup-codes.js";
import { hasSecondFactor, mfaMethodsOf, syncMfaState } from "./mfa-factors.js";
import type { MfaMethod } from "./mfa-store.js";
import type { SecondFactorVerifier } from "./second-factor.js";
import {
  generateTotpSecret,
  matchTotpStep,
  renderTotpQrCode,
  totpAuthUri,
  totpSecretBase32,
} from "./totp.js";
import type { TotpSecretBox } from "./totp-secret-box.js";

export interface MfaStatus {
  mfaEnabled: boolean;
  methods: MfaMethod[];
  totp: "disabled" | "pending" | "enabled";
  backupCodesRemaining: number;
  passkeys: number;
}

export interface TotpSetup {
  /** Base32, for typing into an authenticator app. */
  secret: string;
  otpauthUrl: string;
  /** `data:image/png;base64,…` */
  qrCode: string;
}

type Throttled = { ok: false; code: "rate_limited"; retryAfterSeconds: number };

export type SetupTotpOutcome = ({ ok: true } & TotpSetup) | { ok: false; code: "mfa_already_enabled" };

export type EnableTotpOutcome =
  | { ok: true; backupCodes: string[] }
  | { ok: false; code: "invalid_mfa_code" | "totp_not_set_up" | "mfa_already_enabled" }
  | Throttled;

/** Disabling proves the user with a fresh code (TOTP or backup) or their password. */
export type DisableProof = { code: string } | { password: string };

export type DisableTotpOutcome =
  | { ok: true }
  | { ok: false; code: "invalid_mfa_code" | "invalid_credentials" | "mfa_not_enabled" }
  | Throttled;

export type RegenerateBackupCodesOutcome =
  | { ok: true; backupCodes: string[] }
  | { ok: false; code: "invalid_mfa_code" | "mfa_not_enabled" }
  | Throttled;

/** The administrator acting, and from where. */
export interface MfaResetActor {
  userId: string;
  client: ClientContext;
}

export interface MfaService {
  status(userId: string): Promise<MfaStatus>;
  setupTotp(user: User): Promise<SetupTotpOutcome>;
  enableTotp(userId: string, code: string, client: ClientContext): Promise<EnableTotpOutcome>;
  disableTotp(userId: string, proof: DisableProof, client: ClientContext): Promise<DisableTotpOutcome>;
  regenerateBackupCodes(
    userId: string,
    code: string,
    client: ClientContext,
  ): Promise<RegenerateBackupCodesOutcome>;
  /** Administrators: removes every factor and ends every session. False when there is no such user. */
  resetFactors(userId: string, actor: MfaResetActor): Promise<boolean>;
}

export interface MfaServiceDeps {
  persistence: Persistence;
  clock: Clock;
  secretBox: TotpSecretBox;
  verifier: SecondFactorVerifier;
  hasher: PasswordHasher;
  /** The password proof of a disable is throttled like re-authentication (same key). */
  throttle: LoginThrottle;
  sessions: SessionService;
  notifier: Pick<AccountNotifier, "notifyMfaReset">;
  /** The issuer authenticator apps show (`otpauth://totp/Issuer:ada@example.com?issuer=Issuer`). */
  issuer: string;
}

export function createMfaService(deps: MfaServiceDeps): MfaService {
  const { persistence, clock, secretBox, verifier } = deps;

  function audit(
    stores: Stores,
    type: "mfa.enabled" | "mfa.disabled" | "mfa.backup_codes_regenerated",
    userId: string,
    client: ClientContext,
    details: Record<string, string | number | boolean | null>,
  ) {
    return stores.audit.appendAuditEvent({
      type,
      userId,
      actorId: userId,
      ip: client.ip,
      userAgent: client.userAgent,
      details,
      at: clock.now(),
    });
  }

  async function checkPassword(userId: string, password: string, client: ClientContext) {
    // The same key as re-authentication and password change: all guess the signed-in user's password.
    const throttleKey = `user:${userId}`;
    const wait = await deps.throttle.retryAfter(throttleKey, client.ip);
    if (wait > 0) return { ok: false, code: "rate_limited", retryAfterSeconds: wait } as const;
    const user = await persistence.users.findUserWithPasswordById(userId);
    if (user?.passwordHash == null) {
      await deps.hasher.verifyDummy(password.slice(0, 2048));
      return { ok: false, code: "invalid_credentials" } as const;
    }
    const check = await deps.hasher.verify(user.passwordHash, normalizePassword(password));
    if (!check.valid) {
      await deps.throttle.recordFailure(throttleKey, client.ip);
      return { ok: false, code: "invalid_credentials" } as const;
    }
    await deps.throttle.recordSuccess(throttleKey, client.ip);
    return { ok: true } as const;
  }

  return {
    async status(userId) {
      const [factors, enrollment] = await Promise.all([
        persistence.mfa.findMfaFactors(userId),
        persistence.mfa.findTotpEnrollment(userId),
      ]);
      return {
        mfaEnabled: hasSecondFactor(factors),
        methods: mfaMethodsOf(factors),
        totp: enrollment === undefined ? "disabled" : enrollment.enabledAt === null ? "pending" : "enabled",
        backupCodesRemaining: hasSecondFactor(factors) ? factors.backupCodes : 0,
        passkeys: factors.passkeys,
      };
    },

    async setupTotp(user) {
      const secret = generateTotpSecret();
      const saved = await persistence.mfa.savePendingTotp(user.id, secretBox.seal(secret), clock.now());
      if (!saved) return { ok: false, code: "mfa_already_enabled" };
      const otpauthUrl = totpAuthUri({ secret, issuer: deps.issuer, accountName: user.email });
      return {
        ok: true,
        secret: totpSecretBase32(secret),
        otpauthUrl,
        qrCode: await renderTotpQrCode(otpauthUrl),
      };
    },

    // Named steps: throttle → the pending secret → the code → enable (CAS) with new backup codes.
    async enableTotp(userId, code, client) {
      const wait = await verifier.retryAfter(userId);
      if (wait > 0) return { ok: false, code: "rate_limited", retryAfterSeconds: wait };
      const enrollment = await persistence.mfa.findTotpEnrollment(userId);
      if (enrollment === undefined) return { ok: false, code: "totp_not_set_up" };
      if (enrollment.enabledAt !== null) return { ok: false, code: "mfa_already_enabled" };
      const step = matchTotpStep(secretBox.open(enrollment.secret), code, clock.now());
      if (step === null) {
        await verifier.recordFailure(userId, "totp", "totp_enable", "wrong_code", client);
        return { ok: false, code: "invalid_mfa_code" };
      }
      const { codes, hashes } = generateBackupCodes();
      const enabled = await persistence.transaction(async (stores) => {
        // Compare-and-swap: a concurrent enable (or a newer setup) wins; this one then changes nothing.
        if (!(await stores.mfa.enableTotp(userId, step, clock.now()))) return false;
        await stores.mfa.replaceBackupCodes(userId, hashes, clock.now());
        await syncMfaState(stores, userId, clock.now());
        await audit(stores, "mfa.enabled", userId, client, { method: "totp", backupCodes: codes.length });
        return true;
      });
      if (!enabled) return { ok: false, code: "invalid_mfa_code" };
      await verifier.recordSuccess(userId);
      return { ok: true, backupCodes: codes };
    },

    async disableTotp(userId, proof, client) {
      const enrollment = await persistence.mfa.findTotpEnrollment(userId);
      if (enrollment?.enabledAt == null) return { ok: false, code: "mfa_not_enabled" };
      let via: string;
      if ("code" in proof) {
        const check = await verifier.verifyCode(userId, proof.code, "totp_disable", client);
        if (!check.ok) return check;
        via = check.method;
      } else {
        const check = await checkPassword(userId, proof.password, client);
        if (!check.ok) return check;
        via = "password";
      }
      await persistence.transaction(async (stores) => {
        await stores.mfa.deleteTotp(userId);
        const factors = await syncMfaState(stores, userId, clock.now());
        await audit(stores, "mfa.disabled", userId, client, {
          method: "totp",
          via,
          mfaEnabled: hasSecondFactor(factors),
        });
      });
      return { ok: true };
    },

    async regenerateBackupCodes(userId, code, client) {
      if (!hasSecondFactor(await persistence.mfa.findMfaFactors(userId))) {
        return { ok: false, code: "mfa_not_enabled" };
      }
      const check = await verifier.verifyCode(userId, code, "backup_codes", client);
      if (!check.ok) return check;
      const { codes, hashes } = generateBackupCodes();
      await persistence.transaction(async (stores) => {
        await stores.mfa.replaceBackupCodes(userId, hashes, clock.now());
        await audit(stores, "mfa.backup_codes_regenerated", userId, client, {
          via: check.method,
          backupCodes: codes.length,
        });
      });
      return { ok: true, backupCodes: codes };
    },

    async resetFactors(userId, actor) {
      const now = clock.now();
      const revoked = await persistence.transaction(async (stores) => {
        const user = await stores.users.findUserById(userId);
        if (user === undefined) return undefined;
        const before = await stores.mfa.findMfaFactors(userId);
        const totp = await stores.mfa.deleteTotp(userId);
        await stores.mfa.deleteBackupCodes(userId);
        const passkeys = await stores.webauthn.deleteWebAuthnCredentialsOfUser(userId);
        await stores.mfa.setMfaEnabled(userId, false, now);
        // Whoever holds a session may be the one who took the factors: every session ends.
        const sessionIds = await stores.sessions.revokeUserSessions(userId, now, "revoked");
        for (const sessionId of sessionIds) {
          await stores.audit.appendAuditEvent({
            type: "session.revoked",
            userId,
            actorId: actor.userId,
            ip: actor.client.ip,
            userAgent: actor.client.userAgent,
            details: { sessionId, reason: "mfa_reset" },
            at: now,
          });
        }
        await stores.audit.appendAuditEvent({
          type: "mfa.reset",
          userId,
          actorId: actor.userId,
          ip: actor.client.ip,
          userAgent: actor.client.userAgent,
          details: {
            totp: totp && before.totp,
            backupCodes: before.backupCodes,
            passkeys,
            sessionsRevoked: sessionIds.length,
          },
          at: now,
        });
        await deps.notifier.notifyMfaReset(stores, user);
        return sessionIds;
      });
      if (revoked === undefined) return false;
      await deps.sessions.announceRevokedSessions(revoked);
      return true;
    },
  };
}
