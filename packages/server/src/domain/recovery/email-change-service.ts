/**
 * Email change (issue 4; ASVS 7.5.1: full re-authentication before changing the email, 6.3.7:
 * notify after an email change; OWASP Authentication cheat sheet, "Changing a user's registered
 * email address"). The route checks step-up before `requestEmailChange` runs.
 *
 * Requesting answers alike whether or not the new address has an account, so it tells nobody
 * which addresses are registered: when it is free, a confirmation link goes to it (a recovery
 * token of purpose `email_change` whose `email` is the new address; 256 bits, stored hashed,
 * one hour, single use, only the newest works); when it is taken, its owner is told instead and
 * no link exists. Either way the current address is told of the request when it is verified (an
 * unverified address may belong to someone else: telling it would leak the account's new address
 * to a stranger), and the requester's `email.change_requested` event has the same details.
 *
 * Confirming (public: the token is the credential) moves the account to the new address, marked
 * verified, in one transaction, spends every link still out for the old address (other pending
 * changes, password resets, verifications), and tells the old address that the account moved,
 * again only when that address was verified (ASVS 6.3.7). Sessions are left alone: the credentials
 * did not change (README "Email change and account deletion" gives the reasoning). A password
 * reset or change spends pending changes, which is what the notice to the old address offers.
 */
import type { ClientContext } from "../audit/audit-event.js";
import type { Clock } from "../clock.js";
import type { AccountMailer } from "../mail/account-mailer.js";
import type { MailOrigin } from "../mail/mail-message.js";
import type { Persistence, Stores } from "../persistence.js";
import type { RequestLimiter } from "../rate-limit/limiter.js";
import { hashOpaqueToken } from "../sessions/session-service.js";
import { normalizeEmail } from "../users/email.js";
import type { User } from "../users/user.js";
import {
  isLive,
  issueRecoveryToken,
  looksLikeRecoveryToken,
  type RecoveryToken,
  type RecoveryTokenPurpose,
  recoveryLink,
} from "./recovery-token.js";

/** Like a reset link: an hour is enough to open a mail, and short for a link that moves an account. */
export const EMAIL_CHANGE_TTL_MS = 3600 * 1000;

/** Links mailed to the account's address: once it moves, none of them may act for the account. */
const LINKS_TO_OLD_ADDRESS: readonly RecoveryTokenPurpose[] = [
  "email_change",
  "password_reset",
  "email_verification",
];

export type RequestEmailChangeOutcome =
  | { ok: true }
  | { ok: false; code: "invalid_email" }
  /** The new address is the account's own. */
  | { ok: false; code: "same_email" }
  | { ok: false; code: "unknown_user" }
  | { ok: false; code: "rate_limited"; retryAfterSeconds: number };

export type ConfirmEmailChangeOutcome =
  | { ok: true; user: User }
  | { ok: false; code: "invalid_token" }
  /** Another account took the address after the link was sent; the link stays usable. */
  | { ok: false; code: "email_taken" };

export interface EmailChangeServiceDeps {
  persistence: Persistence;
  clock: Clock;
  mailer: AccountMailer;
  /** The base of every link (PORTCULLIS_PUBLIC_URL), never the request's Host. */
  publicUrl: string;
  /** Mails per address and per account (PORTCULLIS_EMAIL_RATE_LIMIT). */
  perAddress: RequestLimiter;
}

export interface EmailChangeService {
  requestEmailChange(
    input: { userId: string; newEmail: string },
    client: ClientContext,
  ): Promise<RequestEmailChangeOutcome>;
  confirmEmailChange(token: string, client: ClientContext): Promise<ConfirmEmailChangeOutcome>;
}

/** Thrown inside the confirming transaction to roll it back (PostgreSQL has aborted it anyway). */
class AddressTakenMeanwhile extends Error {}

/**
 * @example
 * const emailChange = createEmailChangeService({ persistence, clock, mailer, publicUrl, perAddress });
 * await emailChange.requestEmailChange({ userId, newEmail: "ada@example.org" }, client); // { ok: true }
 */
export function createEmailChangeService(deps: EmailChangeServiceDeps): EmailChangeService {
  const { persistence, clock, mailer } = deps;

  // Requesting, as named steps: spend older links → link to the new address, or tell its owner →
  // tell the current address, when verified → audit. The same rows are written whichever branch runs.
  async function mailConfirmationLink(stores: Stores, user: User, newEmail: string, origin: MailOrigin) {
    const { token, record } = issueRecoveryToken({
      userId: user.id,
      purpose: "email_change",
      email: newEmail,
      now: origin.at,
      ttlMs: EMAIL_CHANGE_TTL_MS,
    });
    await stores.recovery.insertRecoveryToken(record);
    await mailer.queueIn(stores, user.id, {
      kind: "email_change",
      to: newEmail,
      link: recoveryLink(deps.publicUrl, "/confirm-email-change", token),
      expiresAt: record.expiresAt,
      origin,
    });
  }

  async function tellOwnerOfTakenAddress(stores: Stores, owner: User, requester: User, origin: MailOrigin) {
    await mailer.queueIn(stores, owner.id, { kind: "email_change_attempt", to: owner.email, origin });
    await stores.audit.appendAuditEvent({
      type: "email.change_duplicated",
      userId: owner.id,
      actorId: requester.id,
      ip: origin.ip,
      userAgent: origin.userAgent,
      details: {},
      at: origin.at,
    });
  }

  async function findLiveChangeToken(token: string, now: number): Promise<RecoveryToken | undefined> {
    if (!looksLikeRecoveryToken(token)) return undefined;
    const record = await persistence.recovery.findRecoveryTokenByHash("email_change", hashOpaqueToken(token));
    return record !== undefined && isLive(record, now) ? record : undefined;
  }

  // Confirming, as named steps: load the account → check the address is still free → spend the
  // token (compare-and-swap) → move the account → spend the old address's links → tell the old
  // address, when verified → audit.
  async function commitChange(
    stores: Stores,
    record: RecoveryToken,
    client: ClientContext,
    now: number,
  ): Promise<User | "invalid_token" | "email_taken"> {
    const user = await stores.users.findUserById(record.userId);
    if (user === undefined || user.disabledAt !== null) return "invalid_token";
    const owner = await stores.users.findUserWithPasswordByEmail(record.email);
    if (owner !== undefined) return owner.id === user.id ? "invalid_token" : "email_taken";
    if (!(await stores.recovery.spendRecoveryToken(record.id, now))) return "invalid_token";
    // The pre-check above leaves a race with a registration; the unique index decides it.
    if ((await stores.users.changeUserEmail(user.id, record.email, now)) === "email_taken")
      throw new AddressTakenMeanwhile();
    for (const purpose of LINKS_TO_OLD_ADDRESS)
      await stores.recovery.spendUserRecoveryTokens(user.id, purpose, now);
    if (user.emailVerified) {
      await mailer.queueIn(stores, user.id, {
        kind: "email_changed",
        to: user.email,
        newEmail: record.email,
        origin: { at: now, ip: client.ip, userAgent: client.userAgent },
      });
    }
    await stores.audit.appendAuditEvent({
      type: "email.changed",
      userId: user.id,
      actorId: user.id,
      ip: client.ip,
      userAgent: client.userAgent,
      details: { tokenId: record.id, from: user.email, to: record.email },
      at: now,
    });
    return { ...user, email: record.email, emailVerified: true, updatedAt: now };
  }

  return {
    async requestEmailChange(input, client) {
      const newEmail = normalizeEmail(input.newEmail);
      if (newEmail === null) return { ok: false, code: "invalid_email" };
      const user = await persistence.users.findUserById(input.userId);
      if (user === undefined) return { ok: false, code: "unknown_user" };
      if (newEmail === user.email) return { ok: false, code: "same_email" };
      // Per target address (nobody is flooded with links) and per account (nor its own mailbox with notices).
      const waits = [
        await deps.perAddress.consume(`email-change|${newEmail}`),
        await deps.perAddress.consume(`email-change|user:${user.id}`),
      ];
      const wait = Math.max(...waits);
      if (wait > 0) return { ok: false, code: "rate_limited", retryAfterSeconds: wait };

      const origin: MailOrigin = { at: clock.now(), ip: client.ip, userAgent: client.userAgent };
      await persistence.transaction(async (stores) => {
        // Only the newest request's link works, whichever address it named.
        await stores.recovery.spendUserRecoveryTokens(user.id, "email_change", origin.at);
        const found = await stores.users.findUserWithPasswordByEmail(newEmail);
        if (found === undefined) await mailConfirmationLink(stores, user, newEmail, origin);
        else {
          const { passwordHash: _hash, ...owner } = found;
          await tellOwnerOfTakenAddress(stores, owner, user, origin);
        }
        // Only a verified address is known to be the owner's; an unverified one may be anyone's.
        if (user.emailVerified) {
          await mailer.queueIn(stores, user.id, {
            kind: "email_change_notice",
            to: user.email,
            newEmail,
            origin,
          });
        }
        await stores.audit.appendAuditEvent({
          type: "email.change_requested",
          userId: user.id,
          actorId: user.id,
          ip: client.ip,
          userAgent: client.userAgent,
          // Never whether the address was taken: the requester reads this at GET /v1/me/events.
          details: { to: newEmail },
          at: origin.at,
        });
      });
      return { ok: true };
    },

    async confirmEmailChange(token, client) {
      const now = clock.now();
      const record = await findLiveChangeToken(token, now);
      if (record === undefined) return { ok: false, code: "invalid_token" };
      let result: User | "invalid_token" | "email_taken";
      try {
        result = await persistence.transaction((stores) => commitChange(stores, record, client, now));
      } catch (error) {
        if (error instanceof AddressTakenMeanwhile) return { ok: false, code: "email_taken" };
        throw error;
      }
      return typeof result === "string" ? { ok: false, code: result } : { ok: true, user: result };
    },
  };
}
