/**
 * Social login (API.md "Social login"; issue 6): the OAuth 2.0 authorization code flow with PKCE
 * S256 and `state` (plus `nonce` for OpenID Connect), as named steps.
 *
 * start:    provider known → `redirectTo` allowed → fresh state, nonce, verifier and browser
 *           binding → provider URL → remember the flow (10 min).
 * callback: provider known → the flow of `state` (else 400, no redirect target is known) → bound
 *           to this browser and this provider → spent (single use) → the provider's own error →
 *           redeem the code and read the profile → find, link or create the account → may this
 *           account sign in → cookie session, or a one-time code for `POST /v1/auth/exchange`.
 *
 * Account rules (ASVS 6.8.1, 10.5.2; security.md §2.5 item 23): an identity is keyed by
 * (provider, subject), never by email. It joins an existing account with the same email
 * automatically only when the provider asserts the email is verified AND the account's email is
 * verified; otherwise `account_exists`, and the owner signs in and links with `link=1`. A new
 * account from a verified provider email starts verified, with no password.
 *
 * Every link records whether the account's address was verified at that moment, and the owner
 * is mailed about it in the same transaction. An identity linked while the address was
 * unverified (a new account from an unverified provider email, `link=1` before verifying) is
 * unlinked when the owner proves the address (unproven-identities.ts): until then nobody has
 * shown the address belongs to whoever linked it.
 */
import { randomUUID } from "node:crypto";
import type { ClientContext } from "../audit/audit-event.js";
import type { Clock } from "../clock.js";
import type { EphemeralStore } from "../ephemeral/ephemeral-store.js";
import type { AccountMailer } from "../mail/account-mailer.js";
import type { Persistence, Stores } from "../persistence.js";
import type { EmailVerificationService } from "../recovery/email-verification-service.js";
import type { SessionTransport } from "../sessions/session.js";
import { normalizeEmail } from "../users/email.js";
import type { SignedIn, SignInCompleter, SignInOutcome } from "../users/sign-in.js";
import { DEFAULT_ROLES, type User } from "../users/user.js";
import { createExchangeCodes } from "./exchange-codes.js";
import type { Identity } from "./identity.js";
import {
  createPendingAuthorizations,
  isSecretShaped,
  type PendingAuthorization,
  randomSecret,
  sha256,
} from "./pending-authorizations.js";
import type { ProviderClient, ProviderFailureCode, ProviderProfile } from "./provider-client.js";
import { type RedirectAllowlist, withQuery } from "./redirect-allowlist.js";

const MAX_NAME_LENGTH = 200;

export interface StartInput {
  provider: string;
  /** Absent: the first allow-list entry. */
  redirectTo: string | undefined;
  transport: SessionTransport;
  /** The signed-in user linking an identity (`link=1`); null for a sign-in. */
  linkUserId: string | null;
  /** The binding cookie the browser already has; reused so flows in two tabs both work. */
  browserBinding: string | undefined;
}

export type StartOutcome =
  | { ok: true; authorizationUrl: string; browserBinding: string }
  | { ok: false; code: "not_found" | "invalid_redirect" }
  | { ok: false; code: "provider_unavailable"; redirectTo: string; reason: string };

export interface CallbackInput {
  provider: string;
  /** The callback URL as the provider sent the browser to it, built on the configured public URL. */
  callbackUrl: string;
  state: string | undefined;
  /** The provider's `error` parameter (RFC 6749 §4.1.2.1), if any. */
  error: string | undefined;
  browserBinding: string | undefined;
}

export type CallbackFailureCode =
  | "invalid_state"
  | ProviderFailureCode
  | "account_exists"
  | "account_disabled"
  | "email_not_verified"
  | "email_required"
  | "identity_in_use";

export type CallbackOutcome =
  | { ok: false; code: "not_found" }
  /** `redirectTo` null: no flow was found, so there is nowhere safe to send the browser. */
  | { ok: false; code: CallbackFailureCode; redirectTo: string | null; reason: string }
  /** Token transport (`?code=`) or a finished link (`?linked=`). */
  | { ok: true; location: string }
  /** Cookie transport: the session is open; set its cookie and go to `location`. */
  | { ok: true; location: string; signedIn: SignedIn };

export type ExchangeOutcome =
  | SignInOutcome
  | { ok: false; code: "invalid_code" | "account_disabled" | "email_not_verified" };

export interface SocialLoginDeps {
  persistence: Persistence;
  clock: Clock;
  ephemeral: EphemeralStore;
  /** The last step of every sign-in: the second factor when the account has one, then the session. */
  signIn: SignInCompleter;
  providers: ReadonlyMap<string, ProviderClient>;
  allowlist: RedirectAllowlist;
  /** Mails a verification link to a new account whose provider email is not verified. */
  verification: Pick<EmailVerificationService, "sendVerificationIn">;
  /** Tells the owner, in the linking transaction, that an identity was linked to the account. */
  mailer: AccountMailer;
  /** PORTCULLIS_REQUIRE_VERIFIED_EMAIL: unverified accounts are refused here as at login. */
  requireVerifiedEmail: boolean;
}

export interface SocialLoginService {
  /** The configured provider ids. */
  readonly providerIds: readonly string[];
  start(input: StartInput): Promise<StartOutcome>;
  callback(input: CallbackInput, client: ClientContext): Promise<CallbackOutcome>;
  /** Redeems a one-time code from a callback redirect for a token session. */
  exchange(code: string, client: ClientContext): Promise<ExchangeOutcome>;
}

type Failure = { ok: false; code: CallbackFailureCode; reason: string };
type Resolution = { kind: "sign_in"; user: User } | { kind: "linked" } | Failure;

const fail = (code: CallbackFailureCode, reason: string): Failure => ({ ok: false, code, reason });

/** A unique index refused a row another request inserted first; the resolution is run again. */
class ConcurrentInsert extends Error {
  override readonly name = "ConcurrentInsert";
}

export function createSocialLoginService(deps: SocialLoginDeps): SocialLoginService {
  const { persistence, clock, providers, allowlist } = deps;
  const flows = createPendingAuthorizations(deps);
  const codes = createExchangeCodes(deps);

  // ---- start ------------------------------------------------------------------------------

  async function start(input: StartInput): Promise<StartOutcome> {
    const provider = providers.get(input.provider);
    if (provider === undefined) return { ok: false, code: "not_found" };
    const redirectTo =
      input.redirectTo === undefined ? allowlist.defaultTarget : allowlist.match(input.redirectTo);
    if (redirectTo === null) return { ok: false, code: "invalid_redirect" };

    const state = randomSecret();
    const secrets = { state, nonce: randomSecret(), codeVerifier: randomSecret() };
    const browserBinding = isSecretShaped(input.browserBinding) ? input.browserBinding : randomSecret();
    const authorization = await provider.authorizationUrl(secrets);
    if (!authorization.ok)
      return { ok: false, code: "provider_unavailable", redirectTo, reason: authorization.reason };

    await flows.save(state, {
      provider: provider.id,
      nonce: secrets.nonce,
      codeVerifier: secrets.codeVerifier,
      redirectTo,
      transport: input.transport,
      linkUserId: input.linkUserId,
      browserBindingHash: sha256(browserBinding),
    });
    return { ok: true, authorizationUrl: authorization.url, browserBinding };
  }

  // ---- callback steps ---------------------------------------------------------------------

  /** The flow `state` names, bound to this browser and provider, spent; or why not. */
  async function claimFlow(
    input: CallbackInput,
  ): Promise<PendingAuthorization | (Failure & { redirectTo: string | null })> {
    if (input.state === undefined || input.state === "") {
      return { ...fail("invalid_state", "the callback has no state"), redirectTo: null };
    }
    const flow = await flows.peek(input.state);
    if (flow === undefined) {
      return {
        ...fail("invalid_state", "no live flow has this state (unknown, spent or expired)"),
        redirectTo: null,
      };
    }
    // Checked before spending it, so a stolen callback URL opened elsewhere cannot burn the user's flow.
    if (!flows.isBoundTo(flow, input.browserBinding)) {
      return {
        ...fail("invalid_state", "the flow was started in another browser"),
        redirectTo: flow.redirectTo,
      };
    }
    // Mix-up defence (RFC 9700 §4.4): a flow started with one provider is finished only by it.
    if (flow.provider !== input.provider) {
      return {
        ...fail("invalid_state", "the flow belongs to another provider"),
        redirectTo: flow.redirectTo,
      };
    }
    const spent = await flows.take(input.state);
    if (spent === undefined) {
      return {
        ...fail("invalid_state", "the flow was spent by a concurrent callback"),
        redirectTo: flow.redirectTo,
      };
    }
    return spent;
  }

  function providerError(error: string): Failure {
    // RFC 6749 §4.1.2.1 codes are [\x20-\x21\x23-\x5B\x5D-\x7E]; keep the log to a safe subset.
    const shown = error.replace(/[^a-z_]/gi, "").slice(0, 64);
    return error === "access_denied"
      ? fail("access_denied", "the user denied consent at the provider")
      : fail("provider_error", `the provider answered error=${shown}`);
  }

  async function linkIdentity(
    stores: Stores,
    user: User,
    provider: string,
    profile: ProviderProfile,
    client: ClientContext,
    how: "requested" | "verified_email" | "new_account",
  ): Promise<void> {
    // Serialised with a proof of the address (unproven-identities.ts), then read again: whether the
    // address is verified at the moment of linking is what decides the identity's fate.
    await stores.identities.lockSignInMethodsOfUser(user.id);
    const account = (await stores.users.findUserById(user.id)) ?? user;
    const now = clock.now();
    const identity: Identity = {
      id: randomUUID(),
      userId: user.id,
      provider,
      subject: profile.subject,
      email: profile.email === null ? null : normalizeEmail(profile.email),
      linkedWhileUnverified: !account.emailVerified,
      createdAt: now,
    };
    if ((await stores.identities.insertIdentity(identity)) === "identity_taken") throw new ConcurrentInsert();
    await stores.audit.appendAuditEvent({
      type: "identity.linked",
      userId: user.id,
      actorId: user.id,
      ip: client.ip,
      userAgent: client.userAgent,
      details: { identityId: identity.id, provider, via: how },
      at: now,
    });
    // To the account's address, verified or not: for a pre-hijacked account this is how the
    // address's owner first hears of the intruder's identity.
    await deps.mailer.queueIn(stores, user.id, {
      kind: "identity_linked",
      to: account.email,
      provider,
      providerEmail: identity.email,
      origin: { at: now, ip: client.ip, userAgent: client.userAgent },
    });
  }

  async function refuse(
    stores: Stores,
    user: User,
    provider: string,
    code: "account_exists" | "account_disabled" | "email_not_verified",
    client: ClientContext,
  ): Promise<Failure> {
    // A refused sign-in is a failed one for the audit log (ASVS 16.3.1), with its reason.
    await stores.audit.appendAuditEvent({
      type: "login.failed",
      userId: user.id,
      actorId: null,
      ip: client.ip,
      userAgent: client.userAgent,
      details: { reason: code, method: `oauth:${provider}` },
      at: clock.now(),
    });
    return fail(code, `refused for the account: ${code}`);
  }

  async function createAccount(
    stores: Stores,
    email: string,
    provider: string,
    profile: ProviderProfile,
    client: ClientContext,
  ): Promise<User> {
    const now = clock.now();
    const user: User = {
      id: randomUUID(),
      email,
      emailVerified: profile.emailVerified,
      name: profile.name?.trim().slice(0, MAX_NAME_LENGTH) || null,
      roles: [...DEFAULT_ROLES],
      disabledAt: null,
      mfaEnabled: false,
      createdAt: now,
      updatedAt: now,
    };
    // No password until the user sets one (POST /v1/me/password after a fresh sign-in).
    if ((await stores.users.insertUser({ ...user, passwordHash: null })) === "email_taken") {
      throw new ConcurrentInsert();
    }
    await stores.audit.appendAuditEvent({
      type: "user.registered",
      userId: user.id,
      actorId: user.id,
      ip: client.ip,
      userAgent: client.userAgent,
      details: { method: `oauth:${provider}` },
      at: now,
    });
    if (!user.emailVerified) await deps.verification.sendVerificationIn(stores, user, client);
    await linkIdentity(stores, user, provider, profile, client, "new_account");
    return user;
  }

  /** Finds the account the identity signs in to, links it, or creates one; in one transaction. */
  async function resolveAccountIn(
    stores: Stores,
    provider: string,
    profile: ProviderProfile,
    linkUserId: string | null,
    client: ClientContext,
  ): Promise<Resolution> {
    const existing = await stores.identities.findIdentityByProviderSubject(provider, profile.subject);

    if (linkUserId !== null) {
      if (existing !== undefined) {
        return existing.userId === linkUserId
          ? { kind: "linked" }
          : fail("identity_in_use", "the identity is linked to another account");
      }
      const user = await stores.users.findUserById(linkUserId);
      if (user === undefined) return fail("invalid_state", "the account being linked no longer exists");
      if (user.disabledAt !== null) return refuse(stores, user, provider, "account_disabled", client);
      await linkIdentity(stores, user, provider, profile, client, "requested");
      return { kind: "linked" };
    }

    if (existing !== undefined) {
      const user = await stores.users.findUserById(existing.userId);
      if (user === undefined) return fail("invalid_state", "the identity's account no longer exists");
      return { kind: "sign_in", user };
    }

    const email = profile.email === null ? null : normalizeEmail(profile.email);
    if (email === null) return fail("email_required", "the provider gave no usable email address");
    const owner = await stores.users.findUserWithPasswordByEmail(email);
    if (owner === undefined) {
      return { kind: "sign_in", user: await createAccount(stores, email, provider, profile, client) };
    }
    const { passwordHash: _hash, ...user } = owner;
    // Both sides must vouch for the address, or whoever controls a provider account with the
    // victim's (unverified) address would walk into the victim's account.
    if (!profile.emailVerified || !user.emailVerified) {
      return refuse(stores, user, provider, "account_exists", client);
    }
    if (user.disabledAt !== null) return refuse(stores, user, provider, "account_disabled", client);
    await linkIdentity(stores, user, provider, profile, client, "verified_email");
    return { kind: "sign_in", user };
  }

  async function resolveAccount(
    provider: string,
    profile: ProviderProfile,
    linkUserId: string | null,
    client: ClientContext,
  ): Promise<Resolution> {
    try {
      return await persistence.transaction((stores) =>
        resolveAccountIn(stores, provider, profile, linkUserId, client),
      );
    } catch (error) {
      if (!(error instanceof ConcurrentInsert)) throw error;
    }
    // Another callback created the identity or the account first; now this one finds it.
    try {
      return await persistence.transaction((stores) =>
        resolveAccountIn(stores, provider, profile, linkUserId, client),
      );
    } catch (error) {
      if (!(error instanceof ConcurrentInsert)) throw error;
      return fail("invalid_state", "concurrent sign-ins of this identity kept colliding");
    }
  }

  /** Disabled accounts are refused (and, with PORTCULLIS_REQUIRE_VERIFIED_EMAIL, unverified ones). */
  async function checkMaySignIn(
    user: User,
    provider: string,
    client: ClientContext,
  ): Promise<Failure | null> {
    if (user.disabledAt !== null) {
      return persistence.transaction((stores) => refuse(stores, user, provider, "account_disabled", client));
    }
    if (deps.requireVerifiedEmail && !user.emailVerified) {
      return fail("email_not_verified", "the account's email address is not verified");
    }
    return null;
  }

  /**
   * The one place a social sign-in hands over to the sign-in completer, which asks for the second
   * factor when the account has one (a provider identity is one factor, `fed`), else opens the session.
   */
  function completeSignIn(
    user: User,
    transport: SessionTransport,
    provider: string,
    client: ClientContext,
  ): Promise<SignInOutcome> {
    return deps.signIn.complete(
      { user, amr: ["fed"], rememberMe: false, transport, method: `oauth:${provider}` },
      client,
    );
  }

  async function callback(input: CallbackInput, client: ClientContext): Promise<CallbackOutcome> {
    const provider = providers.get(input.provider);
    if (provider === undefined) return { ok: false, code: "not_found" };

    const flow = await claimFlow(input);
    if ("ok" in flow) return flow;
    const failed = (failure: Failure): CallbackOutcome => ({ ...failure, redirectTo: flow.redirectTo });

    if (input.error !== undefined) return failed(providerError(input.error));
    const redeemed = await provider.redeem(input.callbackUrl, {
      state: input.state ?? "",
      nonce: flow.nonce,
      codeVerifier: flow.codeVerifier,
    });
    if (!redeemed.ok) return failed(redeemed);

    const resolution = await resolveAccount(provider.id, redeemed.profile, flow.linkUserId, client);
    if ("ok" in resolution) return failed(resolution);
    if (resolution.kind === "linked")
      return { ok: true, location: withQuery(flow.redirectTo, { linked: provider.id }) };

    const refused = await checkMaySignIn(resolution.user, provider.id, client);
    if (refused !== null) return failed(refused);
    if (flow.transport === "cookie") {
      const outcome = await completeSignIn(resolution.user, "cookie", provider.id, client);
      if (!("mfaRequired" in outcome)) return { ok: true, location: flow.redirectTo, signedIn: outcome };
      // A second factor is due and its mfaToken must not travel in a URL: the one-time code's
      // exchange answers `mfaRequired`, and POST /v1/auth/mfa then sets the cookie.
    }
    const code = await codes.issue({
      userId: resolution.user.id,
      provider: provider.id,
      transport: flow.transport,
    });
    return { ok: true, location: withQuery(flow.redirectTo, { code }) };
  }

  async function exchange(code: string, client: ClientContext): Promise<ExchangeOutcome> {
    const grant = await codes.redeem(code);
    if (grant === undefined) return { ok: false, code: "invalid_code" };
    const user = await persistence.users.findUserById(grant.userId);
    if (user === undefined) return { ok: false, code: "invalid_code" };
    const refused = await checkMaySignIn(user, grant.provider, client);
    if (refused !== null) {
      return {
        ok: false,
        code: refused.code === "email_not_verified" ? "email_not_verified" : "account_disabled",
      };
    }
    return completeSignIn(user, grant.transport, grant.provider, client);
  }

  return { providerIds: [...providers.keys()], start, callback, exchange };
}
