/** Security events: one typed union of `<noun>.<past-verb>` names (see docs/events.md). */
export type AuditEventType =
  | "user.registered"
  | "login.succeeded"
  | "login.failed"
  | "session.revoked"
  | "password.changed"
  | "refresh_token.reused"
  | "signing_key.rotated"
  | "api_key.created"
  | "api_key.revoked"
  | "user.roles_changed"
  | "user.disabled"
  | "user.enabled"
  | "user.deleted"
  | "audit.pruned"
  | "password.reset_requested"
  | "password.reset"
  | "email.verification_sent"
  | "email.verified"
  | "registration.duplicated"
  | "new_device.signed_in"
  | "mfa.enabled"
  | "mfa.disabled"
  | "mfa.backup_codes_regenerated"
  | "mfa.code_failed"
  | "mfa.reset"
  | "webauthn.registered"
  | "webauthn.removed"
  | "identity.linked"
  | "identity.unlinked"
  | "email.change_requested"
  | "email.changed"
  | "email.change_duplicated"
  | "client.created"
  | "client.updated"
  | "client.deleted"
  | "client.secret_rotated"
  | "consent.granted"
  | "consent.revoked"
  | "oauth_token.issued"
  | "oauth_grant.revoked"
  | "backchannel_logout.delivered"
  | "backchannel_logout.failed"
  | "webhook.created"
  | "webhook.updated"
  | "webhook.deleted"
  | "webhook.disabled"
  | "users.imported"
  | "users.exported";

/**
 * Every type at run time (webhook subscriptions are checked against it). The compiler keeps it
 * complete: a type added to the union must be added here too.
 */
const EVERY_AUDIT_EVENT_TYPE: Record<AuditEventType, true> = {
  "user.registered": true,
  "login.succeeded": true,
  "login.failed": true,
  "session.revoked": true,
  "password.changed": true,
  "refresh_token.reused": true,
  "signing_key.rotated": true,
  "api_key.created": true,
  "api_key.revoked": true,
  "user.roles_changed": true,
  "user.disabled": true,
  "user.enabled": true,
  "user.deleted": true,
  "audit.pruned": true,
  "password.reset_requested": true,
  "password.reset": true,
  "email.verification_sent": true,
  "email.verified": true,
  "registration.duplicated": true,
  "new_device.signed_in": true,
  "mfa.enabled": true,
  "mfa.disabled": true,
  "mfa.backup_codes_regenerated": true,
  "mfa.code_failed": true,
  "mfa.reset": true,
  "webauthn.registered": true,
  "webauthn.removed": true,
  "identity.linked": true,
  "identity.unlinked": true,
  "email.change_requested": true,
  "email.changed": true,
  "email.change_duplicated": true,
  "client.created": true,
  "client.updated": true,
  "client.deleted": true,
  "client.secret_rotated": true,
  "consent.granted": true,
  "consent.revoked": true,
  "oauth_token.issued": true,
  "oauth_grant.revoked": true,
  "backchannel_logout.delivered": true,
  "backchannel_logout.failed": true,
  "webhook.created": true,
  "webhook.updated": true,
  "webhook.deleted": true,
  "webhook.disabled": true,
  "users.imported": true,
  "users.exported": true,
};

export const AUDIT_EVENT_TYPES: readonly AuditEventType[] = Object.freeze(
  Object.keys(EVERY_AUDIT_EVENT_TYPE) as AuditEventType[],
);

/** @example isAuditEventType("login.succeeded") // true */
export function isAuditEventType(value: string): value is AuditEventType {
  return Object.hasOwn(EVERY_AUDIT_EVENT_TYPE, value);
}

export interface AuditEvent {
  type: AuditEventType;
  userId: string | null;
  actorId: string | null;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, string | number | boolean | null>;
  at: number;
}

/** Where the request came from; recorded with sessions and events. */
export interface ClientContext {
  ip: string;
  userAgent: string | null;
}
