/**
 * Wiring of mail, account recovery and email change, called by the accounts feature
 * (`features/accounts-feature.ts`): the templates, the delivery chain (SMTP, outbox folder, log), the
 * per-address limiter, the domain services that queue mail, and the outbox worker that delivers
 * it. Kept apart so the root stays readable; it makes no decisions of its own beyond what the
 * configuration says.
 */
import type { Config } from "../config/config.js";
import type { Clock } from "../domain/clock.js";
import { type AccountMailer, createAccountMailer } from "../domain/mail/account-mailer.js";
import { type AccountNotifier, createAccountNotifier } from "../domain/notifications/account-notifier.js";
import { createUnprovenIdentities } from "../domain/oauth/unproven-identities.js";
import type { PasswordHasher } from "../domain/passwords/password-hasher.js";
import type { PasswordPolicy } from "../domain/passwords/password-policy.js";
import type { Persistence } from "../domain/persistence.js";
import {
  createEmailChangeService,
  type EmailChangeService,
} from "../domain/recovery/email-change-service.js";
import {
  createEmailVerificationService,
  type EmailVerificationService,
} from "../domain/recovery/email-verification-service.js";
import {
  createPasswordResetService,
  type PasswordResetService,
} from "../domain/recovery/password-reset-service.js";
import type { SessionService } from "../domain/sessions/session-service.js";
import { createMemoryRequestLimiter } from "../store/ephemeral/memory-limiters.js";
import { createMailComposer } from "./mail-composer.js";
import { createMailDelivery, describeMailDelivery, type MailLog } from "./mail-delivery.js";
import { createMailWorker, type MailWorker } from "./mail-worker.js";

/** How often the worker looks for due mail when nothing woke it (retries, other instances' mail). */
const MAIL_POLL_INTERVAL_MS = 5_000;
/** Spent and expired tokens are kept a day (for support questions), then deleted. */
const TOKEN_RETENTION_MS = 24 * 3600 * 1000;
const TOKEN_PRUNE_INTERVAL_MS = 3600 * 1000;
const PRODUCT_NAME = "Portcullis";

export interface AccountMailServicesDeps {
  config: Config;
  clock: Clock;
  persistence: Persistence;
  hasher: PasswordHasher;
  policy: PasswordPolicy;
  sessions: SessionService;
  log: MailLog;
  /** Registers who hears that `persistence` committed mail to the outbox (features/platform-feature.ts). */
  onMailQueued: (listener: () => void) => void;
}

export interface AccountMailServices {
  mailer: AccountMailer;
  notifier: AccountNotifier;
  emailVerification: EmailVerificationService;
  passwordReset: PasswordResetService;
  emailChange: EmailChangeService;
  /** Not started here: the server starts it (`buildApp`), the CLI does not. */
  worker: MailWorker;
  /** One line for the start-up log: where mail goes. */
  description: string;
}

/** Throws `MailTemplateError` when the template folder has problems, naming every one. */
export function createAccountMailServices(deps: AccountMailServicesDeps): AccountMailServices {
  const { config, clock, persistence } = deps;
  const composer = createMailComposer({
    productName: PRODUCT_NAME,
    publicUrl: config.publicUrl,
    clock,
    templatesDir: config.mailTemplatesDir,
  });
  const sender = createMailDelivery({
    smtpUrl: config.smtpUrl,
    outboxDir: config.mailOutboxDir,
    from: config.mailFrom,
    logLinks: config.env !== "production" && config.smtpUrl === undefined,
    publicUrl: config.publicUrl,
    log: deps.log,
  });
  const perAddress = createMemoryRequestLimiter(config.emailRateLimit, "email");
  // The worker needs the reset service and the reset service wakes the worker: a late-bound signal.
  // (Queued mail wakes it through the persistence, after the commit: `deps.onMailQueued`.)
  const signal = { wake: () => {} };
  const mailer = createAccountMailer({ composer, clock });
  const notifier = createAccountNotifier({ mailer, clock });
  const unprovenIdentities = createUnprovenIdentities({ clock, mailer });
  const emailVerification = createEmailVerificationService({
    persistence,
    clock,
    mailer,
    publicUrl: config.publicUrl,
    perAddress,
    unprovenIdentities,
    sessions: deps.sessions,
  });
  const emailChange = createEmailChangeService({
    persistence,
    clock,
    mailer,
    publicUrl: config.publicUrl,
    perAddress,
  });
  const passwordReset = createPasswordResetService({
    persistence,
    clock,
    hasher: deps.hasher,
    policy: deps.policy,
    sessions: deps.sessions,
    mailer,
    notifier,
    unprovenIdentities,
    publicUrl: config.publicUrl,
    perAddress,
    onRequested: () => signal.wake(),
  });

  let lastPrune = Number.NEGATIVE_INFINITY;
  async function produce(): Promise<void> {
    await passwordReset.processResetRequests();
    const now = clock.now();
    if (now - lastPrune >= TOKEN_PRUNE_INTERVAL_MS) {
      lastPrune = now;
      await persistence.recovery.deleteRecoveryTokensExpiredBefore(now - TOKEN_RETENTION_MS);
    }
  }

  const worker = createMailWorker({
    outbox: persistence.mailOutbox,
    sender,
    clock,
    log: deps.log,
    produce,
    pollIntervalMs: MAIL_POLL_INTERVAL_MS,
  });
  signal.wake = () => worker.wake();
  deps.onMailQueued(() => worker.wake());

  return {
    mailer,
    notifier,
    emailVerification,
    passwordReset,
    emailChange,
    worker,
    description: describeMailDelivery({ smtpUrl: config.smtpUrl, outboxDir: config.mailOutboxDir }),
  };
}
