/**
 * Accounts: users and their passwords (hashing, policy, the login throttle), the account mail
 * (verification, password reset, email change, notices) and its outbox worker, the user cache, and
 * the deletion of one's own account. Serves /v1/me and the recovery endpoints.
 */
import { availableParallelism } from "node:os";
import { createPasswordHasher, type PasswordHasher } from "../domain/passwords/password-hasher.js";
import { createPasswordPolicy } from "../domain/passwords/password-policy.js";
import { createLoginThrottle, type LoginThrottle } from "../domain/rate-limit/login-throttle.js";
import {
  type AccountDeletionService,
  createAccountDeletionService,
} from "../domain/users/account-deletion-service.js";
import { createUserCache } from "../domain/users/user-cache.js";
import { createUserService, type UserService } from "../domain/users/user-service.js";
import { meRoutes } from "../http/routes/me/me-routes.js";
import { recoveryRoutes } from "../http/routes/recovery/recovery-routes.js";
import { type AccountMailServices, createAccountMailServices } from "../mail/account-mail-services.js";
import { loadCommonPasswords } from "../store/common-passwords.js";
import type { Platform } from "./platform-feature.js";
import type { Sessions } from "./sessions-feature.js";

/** Failed logins one client address may spend across all accounts, as a multiple of the per-account limit. */
const PER_ADDRESS_FAILURE_MULTIPLIER = 50;

export interface Accounts {
  users: UserService;
  hasher: PasswordHasher;
  throttle: LoginThrottle;
  /** Mail, email verification and password reset (the worker is started by `buildApp`). */
  accountMail: AccountMailServices;
  /** DELETE /v1/me: the owner deletes their account (step-up). */
  accountDeletion: AccountDeletionService;
}

export function createAccounts(deps: Platform & Sessions): Accounts {
  const { config, clock, persistence, shared, bus, sessions, log } = deps;
  const hashThreads = config.hashConcurrency ?? availableParallelism();
  const hasher = createPasswordHasher({
    // One thread per core computing, each holding its next hash (password-hasher.ts).
    threads: hashThreads,
    maxConcurrent: hashThreads * 2,
    maxQueued: config.hashQueue,
    threadNiceness: config.hashNiceness,
    ...deps.deps.hasher,
  });
  const throttle = createLoginThrottle({
    perAccountAndIp: shared.failureLimiter(config.loginRateLimit, "login:account-ip"),
    perIp: shared.failureLimiter(
      config.loginRateLimit === null
        ? null
        : {
            points: config.loginRateLimit.points * PER_ADDRESS_FAILURE_MULTIPLIER,
            durationSeconds: config.loginRateLimit.durationSeconds,
          },
      "login:ip",
    ),
  });
  const policy = createPasswordPolicy({
    isCommonPassword: deps.deps.isCommonPassword ?? loadCommonPasswords(),
  });
  const accountMail = createAccountMailServices({
    config,
    clock,
    persistence,
    hasher,
    policy,
    sessions,
    log: { info: () => {}, error: (object, message) => log.warn(object, message), ...log },
    onMailQueued: deps.onMailQueued,
  });
  const { worker } = accountMail;
  deps.host.worker({
    description: accountMail.description,
    start: () => worker.start(),
    stop: () => worker.stop(),
  });
  // Every committed write to a user row drops the cached copies (here and, over the bus, elsewhere).
  const userCache = createUserCache({ persistence, clock, bus, maxEntries: config.cacheEntries });
  deps.onUserChanged((userId) => userCache.userChanged(userId));
  const users = createUserService({
    findUser: userCache.findUser,
    persistence,
    clock,
    hasher,
    policy,
    sessions,
    throttle,
    verification: accountMail.emailVerification,
    notifier: accountMail.notifier,
    emailTaken: config.emailTaken,
  });
  const accountDeletion = createAccountDeletionService({
    persistence,
    clock,
    mailer: accountMail.mailer,
    sessions,
    revocations: deps.revocations,
    bus,
  });
  deps.host.serve(meRoutes, recoveryRoutes);
  return { users, hasher, throttle, accountMail, accountDeletion };
}
