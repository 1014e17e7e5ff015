/**
 * Security events (docs/events.md) as sentences a person understands: "New sign-in from Firefox
 * on Linux", "Password changed". Every type of the `AuditEventType` union has one (the compiler
 * checks the table is complete); a type this version does not know — written by a newer one —
 * gets a generic sentence naming it.
 */
import type { AuditEventType } from "../../domain/audit/audit-event.js";
import type { AuditEventView } from "../../domain/audit/audit-record.js";
import type { Messages } from "../i18n/catalogue.js";
import { providerDisplayName } from "../sign-in/sign-in-pages.js";
import { deviceInWords } from "./device-words.js";

/** A text detail, or `fallback` when the event has none (details are untyped JSON). */
function detail(event: AuditEventView, name: string, fallback = ""): string {
  const value = event.details[name];
  return typeof value === "string" ? value : fallback;
}

/**
 * @example eventInWords(t, { type: "password.changed", … }) // "Password changed"
 */
export function eventInWords(t: Messages, event: AuditEventView): string {
  const words = t.account.events;
  const device = () => deviceInWords(t, event.userAgent, true);
  const provider = () => providerDisplayName(detail(event, "provider", "?"));
  const name = () => detail(event, "name", "?");
  const sentences: Record<AuditEventType, () => string> = {
    "user.registered": () => words.userRegistered,
    "registration.duplicated": () => words.registrationDuplicated,
    "login.succeeded": () => words.loginSucceeded(device()),
    "login.failed": () => words.loginFailed(device()),
    "new_device.signed_in": () => words.newDeviceSignedIn(device()),
    "session.revoked": () => words.sessionRevoked[detail(event, "reason")] ?? words.sessionRevokedOther,
    "refresh_token.reused": () => words.refreshTokenReused,
    "password.changed": () =>
      event.details.firstPassword === true ? words.passwordSet : words.passwordChanged,
    "identity.linked": () => words.identityLinked(provider()),
    "identity.unlinked": () => words.identityUnlinked(provider()),
    "password.reset_requested": () => words.passwordResetRequested,
    "password.reset": () => words.passwordReset,
    "email.verification_sent": () => words.verificationSent,
    "email.verified": () => words.emailVerified,
    "email.change_requested": () => words.emailChangeRequested(detail(event, "to", "?")),
    "email.change_duplicated": () => words.emailChangeDuplicated,
    "email.changed": () => words.emailChanged(detail(event, "to", "?")),
    "api_key.created": () => words.apiKeyCreated(name()),
    "api_key.revoked": () => words.apiKeyRevoked(name()),
    "user.roles_changed": () => words.rolesChanged(detail(event, "to").trim() || words.noRoles),
    "user.disabled": () => words.userDisabled,
    "user.enabled": () => words.userEnabled,
    "user.deleted": () => words.userDeleted,
    "signing_key.rotated": () => words.signingKeyRotated,
    "audit.pruned": () => words.auditPruned,
    "mfa.enabled": () => words.mfaEnabled,
    "mfa.disabled": () => words.mfaDisabled,
    "mfa.backup_codes_regenerated": () => words.backupCodesRegenerated,
    "mfa.code_failed": () => words.mfaCodeFailed,
    "mfa.reset": () => words.mfaReset,
    "webauthn.registered": () => words.passkeyAdded(name()),
    "webauthn.removed": () => words.passkeyRemoved(name()),
    // An administrator's acts on OAuth clients: no user is their subject, so only the console shows them.
    "client.created": () => t.admin.eventTypes["client.created"],
    "client.updated": () => t.admin.eventTypes["client.updated"],
    "client.deleted": () => t.admin.eventTypes["client.deleted"],
    "client.secret_rotated": () => t.admin.eventTypes["client.secret_rotated"],
    "consent.granted": () => t.admin.eventTypes["consent.granted"],
    "consent.revoked": () => t.admin.eventTypes["consent.revoked"],
    "oauth_token.issued": () => t.admin.eventTypes["oauth_token.issued"],
    "oauth_grant.revoked": () => t.admin.eventTypes["oauth_grant.revoked"],
    "backchannel_logout.delivered": () => t.admin.eventTypes["backchannel_logout.delivered"],
    "backchannel_logout.failed": () => t.admin.eventTypes["backchannel_logout.failed"],
    // Administrators' acts on webhooks, and the worker turning one off: no user is their subject either.
    "webhook.created": () => t.admin.eventTypes["webhook.created"],
    "webhook.updated": () => t.admin.eventTypes["webhook.updated"],
    "webhook.deleted": () => t.admin.eventTypes["webhook.deleted"],
    "webhook.disabled": () => t.admin.eventTypes["webhook.disabled"],
    // The command line's imports and exports: one event per run, about no one user.
    "users.imported": () => t.admin.eventTypes["users.imported"],
    "users.exported": () => t.admin.eventTypes["users.exported"],
  };
  const sentence = Object.hasOwn(sentences, event.type) ? sentences[event.type as AuditEventType] : undefined;
  return sentence === undefined ? words.other(event.type) : sentence();
}
