/**
 * What `GET /account` says after a redirect. A POST that worked redirects to
 * `/account?done=<key>#<section>`; the key is looked up here, so the URL never carries words
 * (nobody can make the page say something by sending a link). Some keys also show what was kept
 * for this one view (new backup codes, a new API key), or open a part of a section.
 */
import type { Messages } from "../i18n/catalogue.js";
import type { SectionId, SectionState } from "./account-view.js";
import type { Reveal } from "./shown-once.js";

interface DoneEntry {
  section: SectionId;
  notice: (t: Messages) => string;
  open?: SectionState["open"];
  /** What this view takes from the shown-once store. */
  reveal?: Reveal["kind"];
}

const DONE = {
  "profile-saved": { section: "profile", notice: (t) => t.account.profile.saved },
  "password-changed": { section: "password", notice: (t) => t.account.password.changed },
  "confirmed-password": { section: "password", notice: (t) => t.account.password.confirmed },
  "email-change-sent": { section: "email", notice: (t) => t.account.email.changeRequested },
  "verification-sent": { section: "email", notice: (t) => t.account.email.resent },
  "already-verified": { section: "email", notice: (t) => t.account.email.alreadyVerified },
  "totp-enabled": {
    section: "two-factor",
    notice: (t) => t.account.twoFactor.enabled,
    reveal: "backup-codes",
  },
  "backup-codes": {
    section: "two-factor",
    notice: (t) => t.account.twoFactor.newCodesDone,
    reveal: "backup-codes",
  },
  "totp-disabled": { section: "two-factor", notice: (t) => t.account.twoFactor.disabled },
  "confirmed-totp-disable": {
    section: "two-factor",
    notice: (t) => t.account.twoFactor.confirmedTurnOff,
    open: "totp-disable",
  },
  "confirmed-backup-codes": {
    section: "two-factor",
    notice: (t) => t.account.twoFactor.confirmedNewCodes,
    open: "backup-codes",
  },
  "confirmed-passkey": { section: "passkeys", notice: (t) => t.account.passkeys.confirmed },
  "passkey-added": { section: "passkeys", notice: (t) => t.account.passkeys.addedNotice },
  "passkey-removed": { section: "passkeys", notice: (t) => t.account.passkeys.removed },
  "session-revoked": { section: "devices", notice: (t) => t.account.devices.revoked },
  "confirmed-link": { section: "connected-accounts", notice: (t) => t.account.connected.confirmed },
  "identity-unlinked": { section: "connected-accounts", notice: (t) => t.account.connected.unlinked },
  "api-key-created": {
    section: "api-keys",
    notice: (t) => t.account.apiKeys.createdNotice,
    reveal: "api-key",
  },
  "api-key-revoked": { section: "api-keys", notice: (t) => t.account.apiKeys.revoked },
  "app-disconnected": { section: "connected-apps", notice: (t) => t.account.apps.removed },
} satisfies Record<string, DoneEntry>;

export type DoneKey = keyof typeof DONE;

/** The entry of a `?done=` value, or undefined for anything not on the list. */
export function doneEntry(key: string | undefined): DoneEntry | undefined {
  return key !== undefined && Object.hasOwn(DONE, key) ? DONE[key as DoneKey] : undefined;
}

/** PRG target after a successful act. */
export function doneUrl(key: DoneKey): string {
  return `/account?done=${key}#${DONE[key].section}`;
}

/**
 * Errors a provider flow started for linking comes back with (`?error=<code>`), in words; any
 * other value gets the general sentence.
 */
export function linkErrorInWords(t: Messages, code: string): string {
  const words = t.account.connected;
  switch (code) {
    case "identity_in_use":
      return words.identityInUse;
    case "access_denied":
      return words.cancelled;
    case "provider_unavailable":
      return t.errors.provider_unavailable;
    case "email_required":
      return words.emailRequired;
    case "invalid_state":
      return t.errors.invalid_state;
    case "reauthentication_required":
      return t.errors.reauthentication_required;
    default:
      return words.linkFailed;
  }
}
