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
  | "email.change_duplicated";

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
