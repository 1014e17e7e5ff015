/**
 * Mail as the domain sees it. The domain decides WHAT to tell a user (a `MailIntent`: the kind
 * of message and its facts); `src/mail/` decides HOW (templates, SMTP, the outbox folder). A
 * message is rendered through the `MailComposer` port and written to the durable outbox
 * (`MailOutboxStore`) in the same transaction as the act that causes it, so a rolled-back act
 * sends nothing and a committed one loses nothing; a background worker delivers it later.
 */

/** Every kind of message Portcullis sends. */
export type MailKind =
  | "email_verification"
  | "password_reset"
  | "password_changed"
  | "new_sign_in"
  | "registration_attempt"
  | "mfa_reset"
  | "email_change"
  | "email_change_notice"
  | "email_change_attempt"
  | "email_changed"
  | "identity_linked"
  | "identities_unlinked"
  | "account_deleted"
  | "webhook_disabled";

/** Where an act came from, as told to the user ("from 203.0.113.7, Firefox on Linux"). */
export interface MailOrigin {
  /** When it happened, epoch milliseconds. */
  at: number;
  ip: string | null;
  userAgent: string | null;
}

/** What to say, before any template is applied. Links are built from the public URL only. */
export type MailIntent =
  | { kind: "email_verification"; to: string; link: string; expiresAt: number }
  | { kind: "password_reset"; to: string; link: string; expiresAt: number; origin: MailOrigin }
  | { kind: "password_changed"; to: string; origin: MailOrigin }
  | { kind: "new_sign_in"; to: string; origin: MailOrigin }
  | { kind: "registration_attempt"; to: string; origin: MailOrigin }
  /** An administrator removed every second factor of the account; `at` is when. */
  | { kind: "mfa_reset"; to: string; at: number }
  /** The confirmation link of an email change, to the NEW address. */
  | { kind: "email_change"; to: string; link: string; expiresAt: number; origin: MailOrigin }
  /** To the CURRENT address: a change to `newEmail` was asked for. */
  | { kind: "email_change_notice"; to: string; newEmail: string; origin: MailOrigin }
  /** To the owner of an address another account tried to move to. */
  | { kind: "email_change_attempt"; to: string; origin: MailOrigin }
  /** To the PREVIOUS (verified) address: the account moved to `newEmail`. */
  | { kind: "email_changed"; to: string; newEmail: string; origin: MailOrigin }
  /**
   * A provider identity was linked to the account; `providerEmail` is the address the provider
   * gave for it (null when it gave none).
   */
  | {
      kind: "identity_linked";
      to: string;
      provider: string;
      providerEmail: string | null;
      origin: MailOrigin;
    }
  /**
   * The owner proved the address; the identities linked before that were unlinked (and every
   * session ended). `providers` names each, as "provider (address)".
   */
  | { kind: "identities_unlinked"; to: string; providers: string[]; origin: MailOrigin }
  /** To the address of an account its owner just deleted. */
  | { kind: "account_deleted"; to: string; origin: MailOrigin }
  /**
   * To each administrator: a webhook endpoint failed for a day and was turned off. `endpoint` is
   * the URL's origin only (its path or query may hold the receiver's token).
   */
  | {
      kind: "webhook_disabled";
      to: string;
      webhookId: string;
      endpoint: string;
      description: string | null;
      failingSince: number;
    };

/** A message ready to send: what the outbox stores and the outbox folder writes. */
export interface RenderedMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Renders an intent with the configured templates. Pure; throws only on a programming error. */
export interface MailComposer {
  compose(intent: MailIntent): RenderedMail;
}

/** One row of the durable outbox. */
export interface OutboxMail extends RenderedMail {
  id: string;
  kind: MailKind;
  /** The account it concerns; its pending mail goes when the account does. */
  userId: string | null;
  createdAt: number;
  /** Delivery attempts made so far. */
  attempts: number;
  nextAttemptAt: number;
}
