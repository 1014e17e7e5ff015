/**
 * Courtesy mail about an account's security (ASVS 6.3.5, 6.3.7; OWASP Forgot Password cheat
 * sheet "notify the user"): the password was changed or reset, someone signed in from a device
 * not seen before, someone tried to register with the address, an administrator reset the
 * account's second factors. Each notice is queued inside the
 * transaction of the act it reports, so it goes out exactly when the act happened.
 */
import type { ClientContext } from "../audit/audit-event.js";
import type { Clock } from "../clock.js";
import type { AccountMailer } from "../mail/account-mailer.js";
import type { MailOrigin } from "../mail/mail-message.js";
import type { Stores } from "../persistence.js";
import type { Session } from "../sessions/session.js";
import type { User } from "../users/user.js";
import { isSameDevice } from "./device-signature.js";

/** How many earlier sessions a sign-in is compared with. */
const SIGN_IN_HISTORY = 100;
/**
 * Most sign-ins come from a device used lately: the newest few sessions are read first, and
 * the rest only when none of them matches (a user of the bench's login storm has thousands).
 */
const RECENT_SIGN_INS = 4;

export interface AccountNotifierDeps {
  mailer: AccountMailer;
  clock: Clock;
}

export interface AccountNotifier {
  /** After a password change or reset, to the account's address. */
  notifyPasswordChanged(stores: Stores, user: User, client: ClientContext | null): Promise<void>;
  /**
   * After a successful sign-in: mails the user when neither the user agent (family) nor the
   * address prefix matches any earlier session. The very first sign-in of an account is not news.
   */
  notifySignIn(stores: Stores, user: User, session: Session, client: ClientContext): Promise<boolean>;
  /** Someone tried to register with the address of an existing account. */
  notifyRegistrationAttempt(stores: Stores, owner: User, client: ClientContext | null): Promise<void>;
  /** An administrator removed every second factor of the account (issue 5). */
  notifyMfaReset(stores: Stores, user: User): Promise<void>;
}

export function createAccountNotifier(deps: AccountNotifierDeps): AccountNotifier {
  const { mailer, clock } = deps;
  const originOf = (client: ClientContext | null): MailOrigin => ({
    at: clock.now(),
    ip: client?.ip ?? null,
    userAgent: client?.userAgent ?? null,
  });

  return {
    async notifyPasswordChanged(stores, user, client) {
      await mailer.queueIn(stores, user.id, {
        kind: "password_changed",
        to: user.email,
        origin: originOf(client),
      });
    },

    async notifySignIn(stores, user, session, client) {
      const recent = await stores.signIns.listRecentSignInOrigins(user.id, session.id, RECENT_SIGN_INS);
      if (recent.length === 0 || recent.some((origin) => isSameDevice(origin, client))) return false;
      if (recent.length === RECENT_SIGN_INS) {
        const earlier = await stores.signIns.listRecentSignInOrigins(user.id, session.id, SIGN_IN_HISTORY);
        if (earlier.some((origin) => isSameDevice(origin, client))) return false;
      }
      const origin = originOf(client);
      await mailer.queueIn(stores, user.id, { kind: "new_sign_in", to: user.email, origin });
      await stores.audit.appendAuditEvent({
        type: "new_device.signed_in",
        userId: user.id,
        actorId: user.id,
        ip: client.ip,
        userAgent: client.userAgent,
        details: { sessionId: session.id },
        at: origin.at,
      });
      return true;
    },

    async notifyRegistrationAttempt(stores, owner, client) {
      const origin = originOf(client);
      await mailer.queueIn(stores, owner.id, { kind: "registration_attempt", to: owner.email, origin });
      await stores.audit.appendAuditEvent({
        type: "registration.duplicated",
        userId: owner.id,
        actorId: null,
        ip: origin.ip,
        userAgent: origin.userAgent,
        details: {},
        at: origin.at,
      });
    },

    async notifyMfaReset(stores, user) {
      // Only the time: the administrator's address and browser are not the user's business.
      await mailer.queueIn(stores, user.id, { kind: "mfa_reset", to: user.email, at: clock.now() });
    },
  };
}
