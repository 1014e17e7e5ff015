/**
 * Password reset (API.md "Password reset and email verification"; OWASP Forgot Password cheat
 * sheet; ASVS 6.3.8, 6.4.1, 7.4.3).
 *
 * `requestPasswordReset` answers the same way, doing the same work, for every address: it only
 * records the request (one row, whether or not an account has that address) and wakes the mail
 * worker. Looking the address up, issuing the token and queueing the mail happen afterwards in
 * `processResetRequests`, off the request path, so neither the answer nor its timing nor the
 * writes it makes can tell whether the account exists.
 *
 * A reset token is 256 random bits, stored as its SHA-256, lives one hour, works once (a
 * compare-and-swap spends it), and issuing a new one spends the older ones. Resetting revokes
 * every session of the user and signs nobody in: the next login goes through every factor the
 * account has (ASVS 6.4.3). The link reached the account's own mailbox, so a reset also proves the
 * address: it is marked verified, and social-login identities linked while it was not are
 * unlinked (pre-account-takeover; see oauth/unproven-identities.ts).
 */

import { randomUUID } from "node:crypto";
import type { ClientContext } from "../audit/audit-event.js";
import type { Clock } from "../clock.js";
import type { AccountMailer } from "../mail/account-mailer.js";
import type { AccountNotifier } from "../notifications/account-notifier.js";
import type { UnprovenIdentities } from "../oauth/unproven-identities.js";
import type { PasswordHasher } from "../passwords/password-hasher.js";
import {
  normalizePassword,
  type PasswordPolicy,
  type PasswordWeakness,
} from "../passwords/password-policy.js";
import type { Persistence, Stores } from "../persistence.js";
import type { RequestLimiter } from "../rate-limit/limiter.js";
import { hashOpaqueToken, type SessionService } from "../sessions/session-service.js";
import { normalizeEmail } from "../users/email.js";
import type { User } from "../users/user.js";
import {
  isLive,
  issueRecoveryToken,
  looksLikeRecoveryToken,
  type PasswordResetRequest,
  type RecoveryToken,
  recoveryLink,
} from "./recovery-token.js";

/** API.md: reset tokens live one hour at most. */
export const PASSWORD_RESET_TTL_MS = 3600 * 1000;

const REQUESTS_PER_PASS = 50;

export type ForgotPasswordOutcome =
  | { ok: true }
  | { ok: false; code: "invalid_email" }
  | { ok: false; code: "rate_limited"; retryAfterSeconds: number };

export type ResetPasswordOutcome =
  | { ok: true }
  | { ok: false; code: "invalid_token" }
  | { ok: false; code: "weak_password"; weaknesses: PasswordWeakness[] };

export interface PasswordResetServiceDeps {
  persistence: Persistence;
  clock: Clock;
  hasher: PasswordHasher;
  policy: PasswordPolicy;
  sessions: SessionService;
  mailer: AccountMailer;
  notifier: AccountNotifier;
  /** Unlinks the identities linked while the address was unverified, once a reset proves it. */
  unprovenIdentities: UnprovenIdentities;
  /** The base of every link (PORTCULLIS_PUBLIC_URL), never the request's Host. */
  publicUrl: string;
  /** Requests per address (PORTCULLIS_EMAIL_RATE_LIMIT), counted alike for unknown addresses. */
  perAddress: RequestLimiter;
  /** Called when a request was recorded; wired to the mail worker's `wake`. */
  onRequested: () => void;
}

export interface PasswordResetService {
  requestPasswordReset(email: string, client: ClientContext): Promise<ForgotPasswordOutcome>;
  /** Turns recorded requests into tokens and mail; run by the mail worker. Returns how many it handled. */
  processResetRequests(): Promise<number>;
  resetPassword(
    input: { token: string; password: string },
    client: ClientContext,
  ): Promise<ResetPasswordOutcome>;
}

export function createPasswordResetService(deps: PasswordResetServiceDeps): PasswordResetService {
  const { persistence, clock, hasher, policy, sessions } = deps;

  // Fulfilling a request, as named steps: claim it → find the account → issue a token → queue the mail → audit.
  async function findResettableAccount(stores: Stores, email: string): Promise<User | undefined> {
    const found = await stores.users.findUserWithPasswordByEmail(email);
    if (found === undefined || found.disabledAt !== null) return undefined;
    const { passwordHash: _hash, ...user } = found;
    return user;
  }

  async function issueResetToken(
    stores: Stores,
    user: User,
    now: number,
  ): Promise<RecoveryToken & { token: string }> {
    // Only the newest link works: a reset mail that arrives late cannot be used after a newer one.
    await stores.recovery.spendUserRecoveryTokens(user.id, "password_reset", now);
    const { token, record } = issueRecoveryToken({
      userId: user.id,
      purpose: "password_reset",
      email: user.email,
      now,
      ttlMs: PASSWORD_RESET_TTL_MS,
    });
    await stores.recovery.insertRecoveryToken(record);
    return { ...record, token };
  }

  async function fulfilResetRequest(request: PasswordResetRequest): Promise<void> {
    await persistence.transaction(async (stores) => {
      if (!(await stores.recovery.claimPasswordResetRequest(request.id))) return;
      const now = clock.now();
      const user = await findResettableAccount(stores, request.email);
      if (user !== undefined) {
        const issued = await issueResetToken(stores, user, now);
        await deps.mailer.queueIn(stores, user.id, {
          kind: "password_reset",
          to: user.email,
          link: recoveryLink(deps.publicUrl, "/reset-password", issued.token),
          expiresAt: issued.expiresAt,
          origin: { at: request.requestedAt, ip: request.ip, userAgent: request.userAgent },
        });
      }
      await stores.audit.appendAuditEvent({
        type: "password.reset_requested",
        userId: user?.id ?? null,
        actorId: null,
        ip: request.ip,
        userAgent: request.userAgent,
        details: { mailed: user !== undefined },
        at: request.requestedAt,
      });
    });
  }

  // Resetting, as named steps: find a live token → load its account → check the new password →
  // hash it → commit (spend the token, store the hash, verify the address and unlink the
  // identities linked before that, revoke every session, notify) → announce.
  async function findLiveResetToken(token: string, now: number): Promise<RecoveryToken | undefined> {
    if (!looksLikeRecoveryToken(token)) return undefined;
    const record = await persistence.recovery.findRecoveryTokenByHash(
      "password_reset",
      hashOpaqueToken(token),
    );
    return record !== undefined && isLive(record, now) ? record : undefined;
  }

  async function loadAccount(record: RecoveryToken): Promise<User | undefined> {
    const user = await persistence.users.findUserById(record.userId);
    return user === undefined || user.disabledAt !== null ? undefined : user;
  }

  async function commitReset(record: RecoveryToken, user: User, passwordHash: string, client: ClientContext) {
    const now = clock.now();
    return persistence.transaction(async (stores) => {
      if (!(await stores.recovery.spendRecoveryToken(record.id, now))) return null;
      await stores.users.updatePasswordHash(user.id, passwordHash, now);
      await stores.recovery.spendUserRecoveryTokens(user.id, "password_reset", now);
      // The way out the email-change notice offers: a reset cancels a change someone else asked for.
      await stores.recovery.spendUserRecoveryTokens(user.id, "email_change", now);
      // The link reached the account's own mailbox, which is what verifying the address proves.
      const proves = record.email === user.email;
      const verifies = proves && !user.emailVerified;
      if (verifies) await stores.recovery.markEmailVerified(user.id, now);
      // ASVS 7.4.3 and API.md: a reset ends every session of the user; nobody is signed in by it.
      const revoked = await sessions.revokeUserSessionsIn(stores, user.id, "password_reset", client);
      await stores.audit.appendAuditEvent({
        type: "password.reset",
        userId: user.id,
        actorId: user.id,
        ip: client.ip,
        userAgent: client.userAgent,
        details: { tokenId: record.id, sessionsRevoked: revoked.length },
        at: now,
      });
      if (verifies) {
        await stores.audit.appendAuditEvent({
          type: "email.verified",
          userId: user.id,
          actorId: user.id,
          ip: client.ip,
          userAgent: client.userAgent,
          details: { tokenId: record.id, via: "password_reset" },
          at: now,
        });
      }
      // Whoever linked an identity before the address was proven may not be its owner: it goes,
      // and the sessions it opened ended with every other one above.
      if (proves)
        await deps.unprovenIdentities.unlinkUnprovenIdentitiesIn(stores, user, "password_reset", client);
      await deps.notifier.notifyPasswordChanged(stores, user, client);
      return revoked;
    });
  }

  return {
    async requestPasswordReset(email, client) {
      const normalized = normalizeEmail(email);
      if (normalized === null) return { ok: false, code: "invalid_email" };
      const wait = await deps.perAddress.consume(`forgot|${normalized}`);
      if (wait > 0) return { ok: false, code: "rate_limited", retryAfterSeconds: wait };
      await persistence.recovery.insertPasswordResetRequest({
        id: randomUUID(),
        email: normalized,
        ip: client.ip,
        userAgent: client.userAgent,
        requestedAt: clock.now(),
      });
      deps.onRequested();
      return { ok: true };
    },

    async processResetRequests() {
      const requests = await persistence.recovery.listPasswordResetRequests(REQUESTS_PER_PASS);
      // One request that cannot be fulfilled must not hold up the others; it stays for the next pass.
      const failures: unknown[] = [];
      for (const request of requests) {
        try {
          await fulfilResetRequest(request);
        } catch (error) {
          failures.push(error);
        }
      }
      if (failures.length > 0) throw new AggregateError(failures, "password reset requests failed");
      return requests.length;
    },

    async resetPassword(input, client) {
      const record = await findLiveResetToken(input.token, clock.now());
      if (record === undefined) return { ok: false, code: "invalid_token" };
      const user = await loadAccount(record);
      if (user === undefined) return { ok: false, code: "invalid_token" };
      const password = normalizePassword(input.password);
      // Checked before the token is spent, so a refused password leaves the link usable.
      const weaknesses = policy.check(password, { email: user.email });
      if (weaknesses.length > 0) return { ok: false, code: "weak_password", weaknesses };
      const passwordHash = await hasher.hash(password);
      const revoked = await commitReset(record, user, passwordHash, client);
      if (revoked === null) return { ok: false, code: "invalid_token" };
      await sessions.announceRevokedSessions(revoked);
      return { ok: true };
    },
  };
}
