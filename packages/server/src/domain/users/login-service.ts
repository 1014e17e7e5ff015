/**
 * Password login, as named steps: throttle → find the account → verify (or spend a dummy hash
 * for an unknown address, so both cost the same) → record the outcome → refuse disabled accounts
 * → upgrade an outdated hash → hand over to the sign-in completer (session, MFA). An unknown address and a wrong password give the
 * same outcome; a disabled account is only revealed to someone who knows its password.
 */
import type { ClientContext } from "../audit/audit-event.js";
import type { Clock } from "../clock.js";
import { isImportedHash, type PasswordHasher } from "../passwords/password-hasher.js";
import { normalizePassword, PASSWORD_MAX_LENGTH } from "../passwords/password-policy.js";
import type { Persistence } from "../persistence.js";
import type { LoginThrottle } from "../rate-limit/login-throttle.js";
import type { SessionTransport } from "../sessions/session.js";
import { normalizeEmail } from "./email.js";
import type { SignInCompleter, SignInOutcome } from "./sign-in.js";
import type { UserWithPassword } from "./user.js";

export interface LoginInput {
  email: string;
  password: string;
  rememberMe: boolean;
  /** How the session travels; "token" when absent. */
  transport?: SessionTransport;
}

/** A session, or `mfaRequired` with an mfaToken when the account has a second factor. */
export type LoginOutcome =
  | SignInOutcome
  | { ok: false; code: "invalid_credentials" | "account_disabled" | "email_not_verified" }
  | { ok: false; code: "rate_limited"; retryAfterSeconds: number };

export interface LoginServiceDeps {
  persistence: Persistence;
  clock: Clock;
  hasher: PasswordHasher;
  throttle: LoginThrottle;
  /** Told when upgrading a hash failed; login goes on regardless. */
  onRehashFailure?: (error: unknown) => void;
  /** PORTCULLIS_REQUIRE_VERIFIED_EMAIL: the right password of an unverified address gets `email_not_verified`. */
  requireVerifiedEmail: boolean;
  /** Opens the session once the password is right (and, with MFA, asks for the second factor). */
  signIn: SignInCompleter;
}

export interface LoginService {
  login(input: LoginInput, client: ClientContext): Promise<LoginOutcome>;
}

export function createLoginService(deps: LoginServiceDeps): LoginService {
  const { persistence, clock, hasher, throttle } = deps;

  async function findAccount(email: string | null): Promise<UserWithPassword | undefined> {
    return email === null ? undefined : persistence.users.findUserWithPasswordByEmail(email);
  }

  async function checkPassword(account: UserWithPassword | undefined, password: string, rawPassword: string) {
    // Over-long input can never match a stored password; it still costs one hash.
    if (account?.passwordHash == null || [...password].length > PASSWORD_MAX_LENGTH) {
      await hasher.verifyDummy(password.slice(0, PASSWORD_MAX_LENGTH * 2));
      return { valid: false, needsRehash: false };
    }
    const outcome = await hasher.verify(account.passwordHash, password);
    // An imported hash (bcrypt, PBKDF2, Firebase scrypt) was made from the raw input; the upgrade then stores the normalised one.
    if (!outcome.valid && rawPassword !== password && isImportedHash(account.passwordHash)) {
      return hasher.verify(account.passwordHash, rawPassword);
    }
    return outcome;
  }

  async function recordFailure(
    account: UserWithPassword | undefined,
    throttleKey: string,
    client: ClientContext,
  ) {
    await throttle.recordFailure(throttleKey, client.ip);
    await persistence.audit.appendAuditEvent({
      type: "login.failed",
      userId: account?.id ?? null,
      actorId: null,
      ip: client.ip,
      userAgent: client.userAgent,
      details: { reason: account === undefined ? "unknown_account" : "wrong_password" },
      at: clock.now(),
    });
  }

  async function upgradeHash(account: UserWithPassword, password: string): Promise<void> {
    try {
      const passwordHash = await hasher.hash(password);
      await persistence.users.updatePasswordHash(account.id, passwordHash, clock.now());
    } catch (error) {
      deps.onRehashFailure?.(error);
    }
  }

  return {
    async login(input, client) {
      const email = normalizeEmail(input.email);
      const throttleKey = email ?? input.email.trim().toLowerCase();
      const wait = await throttle.retryAfter(throttleKey, client.ip);
      if (wait > 0) return { ok: false, code: "rate_limited", retryAfterSeconds: wait };

      const account = await findAccount(email);
      const password = normalizePassword(input.password);
      const check = await checkPassword(account, password, input.password);
      if (account === undefined || !check.valid) {
        await recordFailure(account, throttleKey, client);
        return { ok: false, code: "invalid_credentials" };
      }
      await throttle.recordSuccess(throttleKey, client.ip);
      if (account.disabledAt !== null) {
        // A refused sign-in is a failed one for the audit log (ASVS 16.3.1), with its reason.
        await persistence.audit.appendAuditEvent({
          type: "login.failed",
          userId: account.id,
          actorId: null,
          ip: client.ip,
          userAgent: client.userAgent,
          details: { reason: "account_disabled" },
          at: clock.now(),
        });
        return { ok: false, code: "account_disabled" };
      }
      // Like a disabled account, an unverified address is only revealed to someone with the password.
      if (deps.requireVerifiedEmail && !account.emailVerified)
        return { ok: false, code: "email_not_verified" };
      if (check.needsRehash) await upgradeHash(account, password);
      const { passwordHash: _hash, ...user } = account;
      return deps.signIn.complete(
        {
          user,
          amr: ["pwd"],
          rememberMe: input.rememberMe,
          transport: input.transport ?? "token",
          method: "password",
        },
        client,
      );
    },
  };
}
