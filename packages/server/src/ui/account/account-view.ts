/**
 * The account page's view model: what the services say about the signed-in person (`AccountData`,
 * loaded fresh for every render) and what the request adds to it (`AccountState`: a notice after
 * a redirect, an error in a section, a step-up prompt in place, something shown once). The page
 * is a pure function of the two.
 */

import type { ApiKey } from "../../domain/api-keys/api-key.js";
import type { AuditEventView } from "../../domain/audit/audit-record.js";
import type { MfaStatus } from "../../domain/mfa/mfa-service.js";
import type { Identity } from "../../domain/oauth/identity.js";
import type { Place } from "../../domain/places/place-lookup.js";
import type { Session } from "../../domain/sessions/session.js";
import type { User } from "../../domain/users/user.js";
import type { WebAuthnCredentialRecord } from "../../domain/webauthn/webauthn-credential.js";
import type { ConnectedApp } from "../consent/interaction-pages.js";
import type { PageDeps, PageSession } from "../page-context.js";
import type { TotpSetupView } from "./shown-once.js";

/** The page's sections, in order; each id is the section's anchor. */
export type SectionId =
  | "profile"
  | "password"
  | "email"
  | "two-factor"
  | "passkeys"
  | "devices"
  | "connected-accounts"
  | "connected-apps"
  | "api-keys"
  | "security-events"
  | "delete-account";

/** Acts that need a recent sign-in (step-up), as the JSON API asks for them. */
export type StepUpAction =
  | "password"
  | "email"
  | "totp-setup"
  | "totp-disable"
  | "backup-codes"
  | "passkey-add"
  | "passkey-remove"
  | "identity-link"
  | "identity-unlink"
  | "api-key-create"
  | "delete-account";

/** The step-up form shown in place of a section's content, carrying the act to resume. */
export interface StepUpPrompt {
  action: StepUpAction;
  /** The act's non-secret fields, sent back as hidden fields (a password is typed again). */
  carry: Record<string, string>;
  error?: string | undefined;
}

/** What one section shows beyond its data. */
export interface SectionState {
  notice?: string;
  error?: string;
  /** Reasons under the error (a refused password's). */
  errorDetails?: string[];
  /** Why a new password was refused, in words (shown at the field). */
  weaknesses?: string[];
  /** Per-field errors, by field name. */
  fieldErrors?: Record<string, string>;
  /** What the person typed (never a password or a code). */
  values?: Record<string, string>;
  /** Which disclosure of the section starts open. */
  open?: "totp-disable" | "backup-codes";
  stepUp?: StepUpPrompt;
}

export interface AccountState {
  sections: Partial<Record<SectionId, SectionState>>;
  /** After sign-up: a verification mail was sent. */
  verifyNotice?: boolean;
  /** A TOTP setup waiting for its first code. */
  totpSetup?: TotpSetupView;
  /** Backup codes just issued: shown this once. */
  backupCodes?: string[];
  /** An API key just created: shown this once. */
  newApiKey?: { key: string; name: string };
}

export interface AccountData {
  user: User;
  sessionId: string;
  /** Whether the session's sign-in is recent enough for step-up acts right now. */
  recent: boolean;
  stepUpMinutes: number;
  isAdmin: boolean;
  mfa: MfaStatus;
  passkeys: WebAuthnCredentialRecord[];
  sessions: Session[];
  identities: Identity[];
  /** Social-login providers this server has, by id. */
  providerIds: readonly string[];
  apiKeys: ApiKey[];
  /** The apps allowed to use the account; null when this server is no OpenID provider. */
  apps: ConnectedApp[] | null;
  events: AuditEventView[];
  /** Where an address is, from the operator's GeoIP data (null when unknown or none is configured). */
  placeOf(ip: string | null): Place | null;
}

/** How many security events the page lists. */
export const EVENTS_SHOWN = 20;

export async function loadAccountData(deps: PageDeps, signedIn: PageSession): Promise<AccountData> {
  const userId = signedIn.user.id;
  const [mfa, passkeys, sessions, identities, apiKeys, events, apps] = await Promise.all([
    deps.mfa.status(userId),
    deps.webauthn.listCredentials(userId),
    deps.sessions.listSessions(userId),
    deps.identities.listIdentities(userId),
    deps.apiKeys.listApiKeys(userId),
    deps.auditLog.listUserEvents(userId, EVENTS_SHOWN),
    deps.openId?.listConnectedApps(userId) ?? null,
  ]);
  return {
    user: signedIn.user,
    sessionId: signedIn.sessionId,
    recent: deps.stepUp.isRecent(signedIn.authTime),
    stepUpMinutes: Math.max(1, Math.round(deps.stepUp.windowSeconds / 60)),
    isAdmin: signedIn.roles.includes("admin"),
    mfa,
    passkeys,
    sessions,
    identities,
    providerIds: deps.socialLogin.providerIds,
    apiKeys,
    apps,
    events,
    placeOf: (ip) => deps.places.find(ip),
  };
}
