/**
 * OpenID Connect Back-Channel Logout 1.0, delivered from a durable outbox: when a Portcullis
 * session ends (sign-out, a device revoked, a password reset, an RP-initiated logout, the account
 * disabled), every client that was granted something in it and registered a back-channel logout
 * URI gets a row in `backchannel_logouts`; this worker posts each one a logout token (a JWT signed
 * with the current Portcullis key: `iss`, `aud` = the client, `sub`, the `sid` of its ID tokens,
 * the back-channel-logout event, `typ: logout+jwt`), retrying with backoff (10 s doubling, at most
 * an hour apart) for a day. A client that is offline when the person signs out loses nothing.
 *
 * Passes never overlap; `drainOnce()` runs one after any in progress, so tests step the worker
 * without sleeping.
 */
import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import type { Clock } from "../domain/clock.js";
import type { FindClientById } from "../domain/oauth-clients/oauth-client.js";
import type { KeyRing } from "../domain/tokens/key-ring.js";
import type {
  BackchannelLogout,
  BackchannelLogoutRepository,
} from "../store/sql/backchannel-logout-repository.js";

const BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout";
const FIRST_RETRY_DELAY_MS = 10_000;
const MAX_RETRY_DELAY_MS = 3_600_000;
/** A client that has not answered for this long is given up on. */
const GIVE_UP_AFTER_MS = 24 * 3_600_000;
const SEND_TIMEOUT_MS = 10_000;
/** Longer than the send timeout, so a lease never lapses while its worker still waits. */
const LEASE_MS = 60_000;
const BATCH_SIZE = 20;
const PASS_INTERVAL_MS = 5_000;
/** A logout token is for now: it expires two minutes after it is made. */
const LOGOUT_TOKEN_TTL_SECONDS = 120;

/** Sends the form body to the URI; resolves with the HTTP status, rejects when there was no answer. */
export type LogoutSender = (uri: string, body: string) => Promise<number>;

export interface BackchannelLogoutWorkerDeps {
  outbox: BackchannelLogoutRepository;
  findClientById: FindClientById;
  keyRing: KeyRing;
  issuer: string;
  clock: Clock;
  audit(
    type: "backchannel_logout.delivered" | "backchannel_logout.failed",
    userId: string,
    details: Record<string, string | number | null>,
  ): Promise<void>;
  send?: LogoutSender;
  log: { warn(object: unknown, message: string): void };
}

export interface DeliveryReport {
  delivered: number;
  retried: number;
  failed: number;
}

export interface BackchannelLogoutWorker {
  start(): void;
  /** Runs a pass now (after any in progress). */
  drainOnce(): Promise<DeliveryReport>;
  /** Asks for a pass soon (after new rows). */
  wake(): void;
  stop(): Promise<void>;
}

/** Delay before the next attempt after `attempts` failures. */
export function logoutRetryDelayMs(attempts: number): number {
  return Math.min(FIRST_RETRY_DELAY_MS * 2 ** Math.max(0, attempts - 1), MAX_RETRY_DELAY_MS);
}

const postForm: LogoutSender = async (uri, body) => {
  const response = await fetch(uri, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body,
    redirect: "manual",
    signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
  });
  await response.body?.cancel();
  return response.status;
};

export function createBackchannelLogoutWorker(deps: BackchannelLogoutWorkerDeps): BackchannelLogoutWorker {
  const { outbox, clock } = deps;
  const send = deps.send ?? postForm;
  /** The pass in progress (or the last one): passes run one after another. */
  let chain: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | null = null;

  async function logoutToken(logout: BackchannelLogout): Promise<string> {
    const { kid, alg, key } = deps.keyRing.signingKey();
    const now = Math.floor(clock.now() / 1000);
    return new SignJWT({
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
      ...(logout.oidcSid === null ? {} : { sid: logout.oidcSid }),
    })
      .setProtectedHeader({ alg, kid, typ: "logout+jwt" })
      .setIssuer(deps.issuer)
      .setAudience(logout.clientId)
      .setSubject(logout.subject)
      .setIssuedAt(now)
      .setExpirationTime(now + LOGOUT_TOKEN_TTL_SECONDS)
      .setJti(randomUUID())
      .sign(key);
  }

  async function deliver(logout: BackchannelLogout, report: DeliveryReport) {
    const attempts = logout.attempts + 1;
    const client = await deps.findClientById(logout.clientId);
    const uri = client?.backchannelLogoutUri ?? null;
    let status: number | null = null;
    if (uri !== null) {
      try {
        status = await send(uri, new URLSearchParams({ logout_token: await logoutToken(logout) }).toString());
      } catch {
        // No answer (refused, timed out): retried like an error status.
      }
    }
    const details = { clientId: logout.clientId, attempts, statusCode: status };
    if (status !== null && status >= 200 && status < 300) {
      await outbox.markDelivered(logout.id, status, clock.now());
      await deps.audit("backchannel_logout.delivered", logout.subject, details);
      report.delivered++;
      return;
    }
    // A client deleted (or no longer listening) since, or a day of failures: given up.
    if (uri === null || clock.now() - logout.createdAt >= GIVE_UP_AFTER_MS) {
      await outbox.markFailed(logout.id, attempts, status);
      await deps.audit("backchannel_logout.failed", logout.subject, details);
      report.failed++;
      return;
    }
    await outbox.scheduleRetry(logout.id, attempts, status, clock.now() + logoutRetryDelayMs(attempts));
    report.retried++;
  }

  async function pass(): Promise<DeliveryReport> {
    const report: DeliveryReport = { delivered: 0, retried: 0, failed: 0 };
    const due = await outbox.claimDue(clock.now(), clock.now() + LEASE_MS, BATCH_SIZE);
    await Promise.all(due.map((logout) => deliver(logout, report)));
    return report;
  }

  function drainOnce(): Promise<DeliveryReport> {
    const next = chain.then(pass, pass);
    chain = next.catch(() => {});
    return next;
  }

  const quietly = () => {
    drainOnce().catch((error: unknown) =>
      deps.log.warn({ err: error }, "back-channel logout delivery failed"),
    );
  };

  return {
    start() {
      if (timer !== null) return;
      timer = setInterval(quietly, PASS_INTERVAL_MS);
      timer.unref();
    },
    drainOnce,
    wake: quietly,
    async stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      await chain;
    },
  };
}
