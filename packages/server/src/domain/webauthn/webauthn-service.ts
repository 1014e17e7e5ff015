/**
 * Passkeys (WebAuthn Level 2; API.md "MFA"), through `@simplewebauthn/server`: register them,
 * sign in with one alone (a discoverable credential, no email typed), or use one as the second
 * factor of a password sign-in.
 *
 * - The relying party is the public URL: its hostname is the RP ID and its origin (plus any
 *   configured extra origins) the only accepted origin, so a look-alike site's assertions fail.
 * - Every ceremony starts with a challenge of 256 random bits (WebAuthn §13.4.3 asks for ≥ 128)
 *   kept five minutes in the ephemeral store with what it is for (registration by this user and
 *   session, a sign-in, or the second step of this mfaToken); checking a response `take`s it, so
 *   each challenge answers exactly one response.
 * - Signature counters must grow when the authenticator counts (a counter that does not is the
 *   sign of a cloned key, WebAuthn §6.1.1); the new value is written with a compare-and-swap so
 *   two responses racing with one counter cannot both pass. Synced passkeys report 0 and rely on
 *   the single-use challenge.
 * - A passkey alone must prove user verification (PIN or biometrics): possession plus that is
 *   two factors, so its session's `amr` is `["hwk"]` and no second factor is asked. As the second
 *   factor of a password, presence is enough.
 * - Registration uses attestation "none": no authenticator make is trusted or refused, and no
 *   device information is asked of the user's authenticator.
 */
import { randomBytes, randomUUID } from "node:crypto";
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from "@simplewebauthn/server";
import type { ClientContext } from "../audit/audit-event.js";
import type { Clock } from "../clock.js";
import type { EphemeralStore } from "../ephemeral/ephemeral-store.js";
import { generateBackupCodes } from "../mfa/backup-codes.js";
import { hasSecondFactor, syncMfaState } from "../mfa/mfa-factors.js";
import type { MfaTokens, PresentedMfaToken } from "../mfa/mfa-tokens.js";
import { keepsAWayToSignIn } from "../oauth/sign-in-methods.js";
import type { Persistence } from "../persistence.js";
import type { SessionTransport } from "../sessions/session.js";
import type { SignInCompleter, SignInOutcome } from "../users/sign-in.js";
import type { User } from "../users/user.js";
import type { WebAuthnCredentialRecord } from "./webauthn-credential.js";

export const WEBAUTHN_CHALLENGE_TTL_MS = 5 * 60_000;
const CHALLENGE_BYTES = 32;
const MAX_CREDENTIAL_NAME_LENGTH = 100;

export interface RelyingParty {
  /** The hostname of PORTCULLIS_PUBLIC_URL. */
  id: string;
  name: string;
  /** The public URL's origin, then any configured extra origins. */
  origins: readonly string[];
}

/** What a challenge was issued for; checked when it is taken. */
type ChallengePurpose =
  | { purpose: "registration"; userId: string; sessionId: string }
  | { purpose: "sign_in" }
  | { purpose: "mfa"; userId: string; mfaTokenHash: string };

export type RegisterOutcome =
  | { ok: true; credential: WebAuthnCredentialRecord; backupCodes: string[] | null }
  | { ok: false; code: "invalid_webauthn_response" };

export type AuthenticationOptionsOutcome =
  | { ok: true; options: PublicKeyCredentialRequestOptionsJSON }
  | { ok: false; code: "invalid_mfa_token" | "no_passkeys" };

export type PasskeySignInOutcome =
  | SignInOutcome
  | { ok: false; code: "invalid_webauthn_response" | "account_disabled" | "email_not_verified" };

/** The second step of a sign-in, with a passkey; `reason` is for the audit log. */
export type PasskeyFactorCheck = { ok: true } | { ok: false; reason: string };

export interface WebAuthnService {
  registrationOptions(user: User, sessionId: string): Promise<PublicKeyCredentialCreationOptionsJSON>;
  register(
    input: { userId: string; sessionId: string; response: RegistrationResponseJSON; name?: string },
    client: ClientContext,
  ): Promise<RegisterOutcome>;
  /** Without an mfaToken: for a passkey sign-in (any discoverable credential). With one: that user's passkeys. */
  authenticationOptions(mfaToken?: string): Promise<AuthenticationOptionsOutcome>;
  signIn(
    input: { response: AuthenticationResponseJSON; transport: SessionTransport; rememberMe: boolean },
    client: ClientContext,
  ): Promise<PasskeySignInOutcome>;
  /** Checks a passkey assertion as the second factor of the sign-in `token` stands for. */
  verifySecondFactor(
    token: PresentedMfaToken,
    response: AuthenticationResponseJSON,
  ): Promise<PasskeyFactorCheck>;
  listCredentials(userId: string): Promise<WebAuthnCredentialRecord[]>;
  /** `not_found` when it is not the user's (or does not exist); `last_sign_in_method` when nothing else would be left. */
  removeCredential(
    userId: string,
    id: string,
    client: ClientContext,
  ): Promise<"removed" | "not_found" | "last_sign_in_method">;
}

export interface WebAuthnServiceDeps {
  persistence: Persistence;
  clock: Clock;
  ephemeral: EphemeralStore;
  relyingParty: RelyingParty;
  signIn: SignInCompleter;
  mfaTokens: Pick<MfaTokens, "find">;
  /** PORTCULLIS_REQUIRE_VERIFIED_EMAIL, as for password login. */
  requireVerifiedEmail: boolean;
}

/** The WebAuthn user handle: the account id's bytes (opaque, not personal data; WebAuthn §14.6.1). */
const userHandleOf = (userId: string) => new Uint8Array(Buffer.from(userId, "utf8"));

/** The signature counter of an assertion's authenticator data (bytes 33–36, big-endian). */
function assertionCounter(response: AuthenticationResponseJSON): number | null {
  const data = Buffer.from(response.response.authenticatorData, "base64url");
  return data.length >= 37 ? data.readUInt32BE(33) : null;
}

export function createWebAuthnService(deps: WebAuthnServiceDeps): WebAuthnService {
  const { persistence, clock, ephemeral, relyingParty } = deps;
  const challengeKey = (challenge: string) => `webauthn:challenge:${challenge}`;
  const newChallenge = () => new Uint8Array(randomBytes(CHALLENGE_BYTES));

  async function rememberChallenge(challenge: string, purpose: ChallengePurpose): Promise<void> {
    // The deadline is checked on our clock as well as by the store's TTL.
    const stored = { ...purpose, expiresAt: clock.now() + WEBAUTHN_CHALLENGE_TTL_MS };
    await ephemeral.put(challengeKey(challenge), JSON.stringify(stored), WEBAUTHN_CHALLENGE_TTL_MS);
  }

  /**
   * The `expectedChallenge` callback of the verify functions: takes the challenge (so it answers
   * one response only) and accepts it when it was issued for `accepts`.
   */
  function challengeFor(accepts: (purpose: ChallengePurpose) => boolean) {
    return async (challenge: string): Promise<boolean> => {
      if (typeof challenge !== "string" || challenge.length === 0 || challenge.length > 256) return false;
      const stored = await ephemeral.take(challengeKey(challenge));
      if (stored === undefined) return false;
      try {
        const purpose = JSON.parse(stored) as ChallengePurpose & { expiresAt: number };
        return purpose.expiresAt > clock.now() && accepts(purpose);
      } catch {
        return false;
      }
    };
  }

  /**
   * Verifies an assertion against a stored credential and records the use (counter, last used).
   * Null when anything fails: challenge, origin, RP ID, signature, flags or counter.
   */
  async function checkAssertion(
    credential: WebAuthnCredentialRecord,
    response: AuthenticationResponseJSON,
    accepts: (purpose: ChallengePurpose) => boolean,
    requireUserVerification: boolean,
  ): Promise<{ ok: true } | { ok: false; reason: string }> {
    const counter = assertionCounter(response);
    if (counter === null) return { ok: false, reason: "malformed" };
    // A counter that does not grow (for an authenticator that counts) means a cloned key.
    if ((counter > 0 || credential.counter > 0) && counter <= credential.counter) {
      return { ok: false, reason: "counter_not_increased" };
    }
    let verified = false;
    try {
      const result = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challengeFor(accepts),
        expectedOrigin: [...relyingParty.origins],
        expectedRPID: relyingParty.id,
        credential: {
          id: credential.credentialId,
          publicKey: new Uint8Array(credential.publicKey),
          counter: credential.counter,
          transports: credential.transports,
        },
        requireUserVerification,
      });
      verified = result.verified && result.authenticationInfo.newCounter === counter;
    } catch {
      verified = false;
    }
    if (!verified) return { ok: false, reason: "invalid_assertion" };
    const recorded = await persistence.webauthn.recordWebAuthnUse(
      credential.id,
      credential.counter,
      counter,
      clock.now(),
    );
    return recorded ? { ok: true } : { ok: false, reason: "counter_raced" };
  }

  async function findCredential(response: AuthenticationResponseJSON) {
    if (typeof response.id !== "string" || response.id.length === 0 || response.id.length > 1400)
      return undefined;
    return persistence.webauthn.findWebAuthnCredentialByCredentialId(response.id);
  }

  async function recordSignInFailure(userId: string, reason: string, client: ClientContext) {
    await persistence.audit.appendAuditEvent({
      type: "login.failed",
      userId,
      actorId: null,
      ip: client.ip,
      userAgent: client.userAgent,
      details: { reason, method: "passkey" },
      at: clock.now(),
    });
  }

  return {
    async registrationOptions(user, sessionId) {
      const existing = await persistence.webauthn.listWebAuthnCredentialsOfUser(user.id);
      const options = await generateRegistrationOptions({
        rpName: relyingParty.name,
        rpID: relyingParty.id,
        userName: user.email,
        userDisplayName: user.name ?? user.email,
        userID: userHandleOf(user.id),
        challenge: newChallenge(),
        timeout: WEBAUTHN_CHALLENGE_TTL_MS,
        attestationType: "none",
        // The same authenticator twice would be one factor counted twice.
        excludeCredentials: existing.map((credential) => ({
          id: credential.credentialId,
          transports: credential.transports,
        })),
        // Discoverable when the authenticator can (sign-in without an email), verified when it can.
        authenticatorSelection: { residentKey: "preferred", userVerification: "preferred" },
      });
      await rememberChallenge(options.challenge, { purpose: "registration", userId: user.id, sessionId });
      return options;
    },

    // Named steps: verify the attestation (which takes the challenge) → store the credential,
    // with backup codes when it is the account's first second factor → audit.
    async register(input, client) {
      let info: Awaited<ReturnType<typeof verifyRegistrationResponse>>["registrationInfo"];
      try {
        const result = await verifyRegistrationResponse({
          response: input.response,
          expectedChallenge: challengeFor(
            (purpose) =>
              purpose.purpose === "registration" &&
              purpose.userId === input.userId &&
              purpose.sessionId === input.sessionId,
          ),
          expectedOrigin: [...relyingParty.origins],
          expectedRPID: relyingParty.id,
          requireUserVerification: false,
        });
        info = result.verified ? result.registrationInfo : undefined;
      } catch {
        info = undefined;
      }
      if (info === undefined) return { ok: false, code: "invalid_webauthn_response" };

      const now = clock.now();
      const credential: WebAuthnCredentialRecord = {
        id: randomUUID(),
        userId: input.userId,
        credentialId: info.credential.id,
        publicKey: info.credential.publicKey,
        counter: info.credential.counter,
        transports: info.credential.transports ?? input.response.response.transports ?? [],
        deviceType: info.credentialDeviceType,
        backedUp: info.credentialBackedUp,
        aaguid: info.aaguid,
        name: input.name?.trim().slice(0, MAX_CREDENTIAL_NAME_LENGTH) || "Passkey",
        createdAt: now,
        lastUsedAt: null,
      };
      return persistence.transaction(async (stores): Promise<RegisterOutcome> => {
        const before = await stores.mfa.findMfaFactors(input.userId);
        if ((await stores.webauthn.insertWebAuthnCredential(credential)) === "credential_taken") {
          return { ok: false, code: "invalid_webauthn_response" };
        }
        // The first second factor comes with backup codes, so losing the device is not losing the account.
        const backup = hasSecondFactor(before) ? null : generateBackupCodes();
        if (backup !== null) await stores.mfa.replaceBackupCodes(input.userId, backup.hashes, now);
        const after = await syncMfaState(stores, input.userId, now);
        await stores.audit.appendAuditEvent({
          type: "webauthn.registered",
          userId: input.userId,
          actorId: input.userId,
          ip: client.ip,
          userAgent: client.userAgent,
          details: {
            credentialId: credential.id,
            name: credential.name,
            deviceType: credential.deviceType,
            backupCodesIssued: backup !== null,
            mfaEnabled: hasSecondFactor(after),
          },
          at: now,
        });
        return { ok: true, credential, backupCodes: backup?.codes ?? null };
      });
    },

    async authenticationOptions(mfaToken) {
      if (mfaToken === undefined) {
        const options = await generateAuthenticationOptions({
          rpID: relyingParty.id,
          challenge: newChallenge(),
          timeout: WEBAUTHN_CHALLENGE_TTL_MS,
          userVerification: "required",
        });
        await rememberChallenge(options.challenge, { purpose: "sign_in" });
        return { ok: true, options };
      }
      const token = await deps.mfaTokens.find(mfaToken);
      if (token === undefined) return { ok: false, code: "invalid_mfa_token" };
      const credentials = await persistence.webauthn.listWebAuthnCredentialsOfUser(token.state.userId);
      if (credentials.length === 0) return { ok: false, code: "no_passkeys" };
      const options = await generateAuthenticationOptions({
        rpID: relyingParty.id,
        allowCredentials: credentials.map((credential) => ({
          id: credential.credentialId,
          transports: credential.transports,
        })),
        challenge: newChallenge(),
        timeout: WEBAUTHN_CHALLENGE_TTL_MS,
        userVerification: "preferred",
      });
      await rememberChallenge(options.challenge, {
        purpose: "mfa",
        userId: token.state.userId,
        mfaTokenHash: token.hash,
      });
      return { ok: true, options };
    },

    // Named steps: the credential → its owner → the assertion (takes the challenge; UV required)
    // → the owner may sign in → the completer opens the session (`amr` ["hwk"]).
    async signIn(input, client) {
      const credential = await findCredential(input.response);
      if (credential === undefined) return { ok: false, code: "invalid_webauthn_response" };
      const user = await persistence.users.findUserById(credential.userId);
      if (user === undefined) return { ok: false, code: "invalid_webauthn_response" };
      const handle = input.response.response.userHandle;
      if (handle !== undefined && handle !== Buffer.from(userHandleOf(user.id)).toString("base64url")) {
        await recordSignInFailure(user.id, "user_handle_mismatch", client);
        return { ok: false, code: "invalid_webauthn_response" };
      }
      const checked = await checkAssertion(
        credential,
        input.response,
        (purpose) => purpose.purpose === "sign_in",
        true,
      );
      if (!checked.ok) {
        await recordSignInFailure(user.id, `passkey_${checked.reason}`, client);
        return { ok: false, code: "invalid_webauthn_response" };
      }
      if (user.disabledAt !== null) {
        await recordSignInFailure(user.id, "account_disabled", client);
        return { ok: false, code: "account_disabled" };
      }
      if (deps.requireVerifiedEmail && !user.emailVerified) return { ok: false, code: "email_not_verified" };
      return deps.signIn.complete(
        { user, amr: ["hwk"], rememberMe: input.rememberMe, transport: input.transport, method: "passkey" },
        client,
      );
    },

    async verifySecondFactor(token, response) {
      const credential = await findCredential(response);
      if (credential === undefined || credential.userId !== token.state.userId) {
        return { ok: false, reason: "unknown_credential" };
      }
      return checkAssertion(
        credential,
        response,
        (purpose) =>
          purpose.purpose === "mfa" &&
          purpose.userId === token.state.userId &&
          purpose.mfaTokenHash === token.hash,
        false,
      );
    },

    listCredentials: (userId) => persistence.webauthn.listWebAuthnCredentialsOfUser(userId),

    async removeCredential(userId, id, client) {
      const now = clock.now();
      return persistence.transaction(async (stores) => {
        // Two concurrent removals (or a removal and an unlink) must not both see "another way is left".
        await stores.identities.lockSignInMethodsOfUser(userId);
        const user = await stores.users.findUserWithPasswordById(userId);
        if (user === undefined) return "not_found";
        if (!(await keepsAWayToSignIn(stores, user, { passkeyId: id }))) {
          const owned = await stores.webauthn.listWebAuthnCredentialsOfUser(userId);
          return owned.some((passkey) => passkey.id === id) ? "last_sign_in_method" : "not_found";
        }
        const removed = await stores.webauthn.deleteWebAuthnCredentialOfUser(userId, id);
        if (removed === undefined) return "not_found";
        const after = await syncMfaState(stores, userId, now);
        await stores.audit.appendAuditEvent({
          type: "webauthn.removed",
          userId,
          actorId: userId,
          ip: client.ip,
          userAgent: client.userAgent,
          details: { credentialId: removed.id, name: removed.name, mfaEnabled: hasSecondFactor(after) },
          at: now,
        });
        return "removed" as const;
      });
    },
  };
}
