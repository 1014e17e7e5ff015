/**
 * Accounts: registration, profile, password change. Passwords are NFKC-normalised, checked
 * against the policy (length 8–256 code points, not common, not the email) and hashed with
 * argon2id; a role can never be chosen by the registrant (mass assignment, security.md §2.8).
 */
import { randomUUID } from "node:crypto";
import type { ClientContext } from "../audit/audit-event.js";
import type { Clock } from "../clock.js";
import type { AccountNotifier } from "../notifications/account-notifier.js";
import type { PasswordHasher } from "../passwords/password-hasher.js";
import {
  normalizePassword,
  type PasswordPolicy,
  type PasswordWeakness,
} from "../passwords/password-policy.js";
import type { Persistence } from "../persistence.js";
import type { LoginThrottle } from "../rate-limit/login-throttle.js";
import type { EmailVerificationService } from "../recovery/email-verification-service.js";
import type { SessionService } from "../sessions/session-service.js";
import { normalizeEmail } from "./email.js";
import { DEFAULT_ROLES, type User, type UserWithPassword } from "./user.js";

export type RegisterOutcome =
  | { ok: true; user: User }
  | { ok: false; code: "invalid_email" }
  | { ok: false; code: "weak_password"; weaknesses: PasswordWeakness[] }
  | { ok: false; code: "email_taken" };

export type ChangePasswordOutcome =
  | { ok: true }
  | { ok: false; code: "invalid_credentials" }
  | { ok: false; code: "weak_password"; weaknesses: PasswordWeakness[] }
  | { ok: false; code: "rate_limited"; retryAfterSeconds: number };

export interface UserServiceDeps {
  persistence: Persistence;
  /** Reads users for `getUser` (the cache of users); the store when absent. */
  findUser?: (id: string) => Promise<User | undefined>;
  clock: Clock;
  hasher: PasswordHasher;
  policy: PasswordPolicy;
  sessions: SessionService;
  throttle: LoginThrottle;
  /** Queues the verification mail inside the registration's transaction. */
  verification: Pick<EmailVerificationService, "sendVerificationIn">;
  /** "Password changed" and "someone tried to register with your address" mail. */
  notifier: Pick<AccountNotifier, "notifyPasswordChanged" | "notifyRegistrationAttempt">;
  /**
   * PORTCULLIS_EMAIL_TAKEN: `conflict` answers `email_taken` at once; `notify` also mails the
   * owner and spends the hash a new account would, so the caller cannot tell the two apart by time.
   */
  emailTaken: "conflict" | "notify";
}

export interface CreateUserInput {
  email: string;
  password: string;
  name?: string | null;
  roles?: string[];
  emailVerified?: boolean;
  /** The administrator creating the account in the console: the audit event's actor. Absent from the CLI. */
  createdBy?: { userId: string; client: ClientContext };
}

export interface UserService {
  register(
    input: { email: string; password: string; name?: string | null },
    client: ClientContext,
  ): Promise<RegisterOutcome>;
  /** For operators (CLI, admin): may set roles and mark the email verified. */
  createUser(input: CreateUserInput, client: ClientContext | null): Promise<RegisterOutcome>;
  getUser(id: string): Promise<User | undefined>;
  /**
   * Why the policy would refuse `password` (as typed) for an account with `email`; `[]` when it
   * would accept it. For live feedback on the pages while a password is chosen; nothing is stored.
   *
   * @example users.checkPassword("Password1", "ada@example.com"); // ["common"]
   */
  checkPassword(password: string, email?: string): PasswordWeakness[];
  updateProfile(id: string, changes: { name: string | null }): Promise<User | undefined>;
  changePassword(
    input: { userId: string; sessionId: string; currentPassword: string | undefined; newPassword: string },
    client: ClientContext,
  ): Promise<ChangePasswordOutcome>;
}

export function createUserService(deps: UserServiceDeps): UserService {
  const { persistence, clock, hasher, policy } = deps;

  async function createUser(input: CreateUserInput, client: ClientContext | null): Promise<RegisterOutcome> {
    const email = normalizeEmail(input.email);
    if (email === null) return { ok: false, code: "invalid_email" };
    const password = normalizePassword(input.password);
    const weaknesses = policy.check(password, { email });
    if (weaknesses.length > 0) return { ok: false, code: "weak_password", weaknesses };
    // Cheap pre-check so a taken address does not cost a hash; the unique index decides races.
    const owner = await persistence.users.findUserWithPasswordByEmail(email);
    if (owner !== undefined) return emailTaken(owner, password, client);
    const passwordHash = await hasher.hash(password);
    const now = clock.now();
    const user: User = {
      id: randomUUID(),
      email,
      emailVerified: input.emailVerified ?? false,
      name: input.name?.trim() || null,
      roles: input.roles ?? [...DEFAULT_ROLES],
      disabledAt: null,
      mfaEnabled: false,
      createdAt: now,
      updatedAt: now,
    };
    const origin = input.createdBy?.client ?? client;
    const inserted = await persistence.transaction(async (stores) => {
      if ((await stores.users.insertUser({ ...user, passwordHash })) === "email_taken") return false;
      await stores.audit.appendAuditEvent({
        type: "user.registered",
        userId: user.id,
        actorId: input.createdBy?.userId ?? (client === null ? null : user.id),
        ip: origin?.ip ?? null,
        userAgent: origin?.userAgent ?? null,
        details: {},
        at: now,
      });
      if (!user.emailVerified) await deps.verification.sendVerificationIn(stores, user, client);
      return true;
    });
    return inserted ? { ok: true, user } : { ok: false, code: "email_taken" };
  }

  /** Registration with a taken address; with the `notify` policy the owner hears of it (never for operators). */
  async function emailTaken(
    owner: UserWithPassword,
    password: string,
    client: ClientContext | null,
  ): Promise<RegisterOutcome> {
    if (deps.emailTaken === "notify" && client !== null) {
      await hasher.hash(password);
      const { passwordHash: _hash, ...user } = owner;
      await persistence.transaction((stores) =>
        deps.notifier.notifyRegistrationAttempt(stores, user, client),
      );
    }
    return { ok: false, code: "email_taken" };
  }

  return {
    register: (input, client) =>
      createUser({ email: input.email, password: input.password, name: input.name ?? null }, client),
    createUser,
    getUser: (id) => (deps.findUser ?? persistence.users.findUserById)(id),
    checkPassword: (password, email) =>
      policy.check(normalizePassword(password), { email: normalizeEmail(email ?? "") ?? "" }),

    async updateProfile(id, changes) {
      await persistence.users.updateUserName(id, changes.name?.trim() || null, clock.now());
      return persistence.users.findUserById(id);
    },

    async changePassword(input, client) {
      // Guessing the current password through this endpoint is throttled like login.
      const throttleKey = `user:${input.userId}`;
      const wait = await deps.throttle.retryAfter(throttleKey, client.ip);
      if (wait > 0) return { ok: false, code: "rate_limited", retryAfterSeconds: wait };
      const user = await persistence.users.findUserWithPasswordById(input.userId);
      if (user === undefined) return { ok: false, code: "invalid_credentials" };
      // An account made by social login has no password until it sets one. There is no current
      // password to prove then; the route's step-up (a sign-in within the window) is the proof.
      const firstPassword = user.passwordHash === null;
      if (firstPassword ? (input.currentPassword ?? "") !== "" : input.currentPassword === undefined) {
        return { ok: false, code: "invalid_credentials" };
      }
      if (user.passwordHash !== null) {
        const current = await hasher.verify(
          user.passwordHash,
          normalizePassword(input.currentPassword ?? ""),
        );
        if (!current.valid) {
          await deps.throttle.recordFailure(throttleKey, client.ip);
          return { ok: false, code: "invalid_credentials" };
        }
        await deps.throttle.recordSuccess(throttleKey, client.ip);
      }
      const password = normalizePassword(input.newPassword);
      const weaknesses = policy.check(password, { email: user.email });
      if (weaknesses.length > 0) return { ok: false, code: "weak_password", weaknesses };
      const passwordHash = await hasher.hash(password);
      const now = clock.now();
      // ASVS 7.4.3: a password change ends every other session; the current one goes on.
      const revoked = await persistence.transaction(async (stores) => {
        await stores.users.updatePasswordHash(user.id, passwordHash, now);
        // Like a reset, a new password cancels a pending email change (the notice says so).
        await stores.recovery.spendUserRecoveryTokens(user.id, "email_change", now);
        const ids = await deps.sessions.revokeUserSessionsIn(
          stores,
          user.id,
          "password_changed",
          client,
          input.sessionId,
        );
        await stores.audit.appendAuditEvent({
          type: "password.changed",
          userId: user.id,
          actorId: user.id,
          ip: client.ip,
          userAgent: client.userAgent,
          details: { sessionsRevoked: ids.length, firstPassword },
          at: now,
        });
        await deps.notifier.notifyPasswordChanged(stores, user, client);
        return ids;
      });
      await deps.sessions.announceRevokedSessions(revoked);
      return { ok: true };
    },
  };
}
