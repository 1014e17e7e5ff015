/**
 * Email verification (API.md "Password reset and email verification"): registration queues a
 * mail with a single-use link in the same transaction that creates the account; `verifyEmail`
 * spends the token and marks the address verified, but only while it is still the address the
 * link was sent to; `resendVerification` sends a fresh link, limited per address.
 *
 * Verifying proves the address, so the social-login identities linked while it was unverified
 * are unlinked in the same transaction (pre-account-takeover; oauth/unproven-identities.ts), and
 * then every session of the account ends. Every one, not only those the identities opened
 * (`amr` containing `fed`): a session does not record which identity opened it, `fed` would
 * also end sessions of identities that stay while sparing the password or passkey sessions of
 * someone who added those methods while signed in through an identity now gone, and signing
 * everyone out is what a reset does anyway. It happens only when something was unlinked, so an
 * ordinary verification signs nobody out.
 */
import type { ClientContext } from "../audit/audit-event.js";
import type { Clock } from "../clock.js";
import type { AccountMailer } from "../mail/account-mailer.js";
import type { UnprovenIdentities } from "../oauth/unproven-identities.js";
import type { Persistence, Stores } from "../persistence.js";
import type { RequestLimiter } from "../rate-limit/limiter.js";
import { hashOpaqueToken, type SessionService } from "../sessions/session-service.js";
import type { User } from "../users/user.js";
import { isLive, issueRecoveryToken, looksLikeRecoveryToken, recoveryLink } from "./recovery-token.js";

/** Verification links work for a day: long enough to find the mail, short enough to expire unused. */
export const EMAIL_VERIFICATION_TTL_MS = 24 * 3600 * 1000;

export type VerifyEmailOutcome = { ok: true; user: User } | { ok: false; code: "invalid_token" };

export type ResendVerificationOutcome =
  /** `sent` is false when the address was already verified: there is nothing to send. */
  | { ok: true; sent: boolean }
  | { ok: false; code: "unknown_user" }
  | { ok: false; code: "rate_limited"; retryAfterSeconds: number };

export interface EmailVerificationServiceDeps {
  persistence: Persistence;
  clock: Clock;
  mailer: AccountMailer;
  /** The base of every link (PORTCULLIS_PUBLIC_URL), never the request's Host. */
  publicUrl: string;
  /** Mails per address (PORTCULLIS_EMAIL_RATE_LIMIT). */
  perAddress: RequestLimiter;
  /** Unlinks the identities linked while the address was unverified, once it is proven. */
  unprovenIdentities: UnprovenIdentities;
  /** Ends the sessions when verifying unlinked an identity. */
  sessions: Pick<SessionService, "revokeUserSessionsIn" | "announceRevokedSessions">;
}

export interface EmailVerificationService {
  /** Inside the caller's transaction (registration): a token, the mail with its link, the audit event. */
  sendVerificationIn(stores: Stores, user: User, client: ClientContext | null): Promise<void>;
  resendVerification(userId: string, client: ClientContext): Promise<ResendVerificationOutcome>;
  verifyEmail(token: string, client: ClientContext): Promise<VerifyEmailOutcome>;
}

export function createEmailVerificationService(deps: EmailVerificationServiceDeps): EmailVerificationService {
  const { persistence, clock, mailer } = deps;

  async function sendVerificationIn(stores: Stores, user: User, client: ClientContext | null): Promise<void> {
    const now = clock.now();
    const { token, record } = issueRecoveryToken({
      userId: user.id,
      purpose: "email_verification",
      email: user.email,
      now,
      ttlMs: EMAIL_VERIFICATION_TTL_MS,
    });
    await stores.recovery.insertRecoveryToken(record);
    await mailer.queueIn(stores, user.id, {
      kind: "email_verification",
      to: user.email,
      link: recoveryLink(deps.publicUrl, "/verify-email", token),
      expiresAt: record.expiresAt,
    });
    await stores.audit.appendAuditEvent({
      type: "email.verification_sent",
      userId: user.id,
      actorId: client === null ? null : user.id,
      ip: client?.ip ?? null,
      userAgent: client?.userAgent ?? null,
      details: { tokenId: record.id },
      at: now,
    });
  }

  return {
    sendVerificationIn,

    async resendVerification(userId, client) {
      const user = await persistence.users.findUserById(userId);
      if (user === undefined) return { ok: false, code: "unknown_user" };
      const wait = await deps.perAddress.consume(`verify|${user.email}`);
      if (wait > 0) return { ok: false, code: "rate_limited", retryAfterSeconds: wait };
      if (user.emailVerified) return { ok: true, sent: false };
      await persistence.transaction((stores) => sendVerificationIn(stores, user, client));
      return { ok: true, sent: true };
    },

    async verifyEmail(token, client) {
      if (!looksLikeRecoveryToken(token)) return { ok: false, code: "invalid_token" };
      const now = clock.now();
      const record = await persistence.recovery.findRecoveryTokenByHash(
        "email_verification",
        hashOpaqueToken(token),
      );
      if (record === undefined || !isLive(record, now)) return { ok: false, code: "invalid_token" };
      const user = await persistence.users.findUserById(record.userId);
      // A link sent to an address the account no longer has proves nothing about the current one.
      if (user === undefined || user.email !== record.email) return { ok: false, code: "invalid_token" };
      const revoked = await persistence.transaction(async (stores) => {
        if (!(await stores.recovery.spendRecoveryToken(record.id, now))) return null;
        await stores.recovery.markEmailVerified(user.id, now);
        await stores.audit.appendAuditEvent({
          type: "email.verified",
          userId: user.id,
          actorId: user.id,
          ip: client.ip,
          userAgent: client.userAgent,
          details: { tokenId: record.id, via: "link" },
          at: now,
        });
        const unlinked = await deps.unprovenIdentities.unlinkUnprovenIdentitiesIn(
          stores,
          user,
          "email_verification",
          client,
        );
        if (unlinked.length === 0) return [];
        return deps.sessions.revokeUserSessionsIn(stores, user.id, "identities_unlinked", client);
      });
      if (revoked === null) return { ok: false, code: "invalid_token" };
      await deps.sessions.announceRevokedSessions(revoked);
      return { ok: true, user: { ...user, emailVerified: true, updatedAt: now } };
    },
  };
}
