/**
 * The last step of every sign-in, whatever proved the first factor (a password, a social-login
 * identity, a passkey). `complete` decides whether a second factor is needed: when the account
 * has one (TOTP or a passkey) and the first factor was not already a passkey, it answers
 * `mfaRequired` with an mfaToken instead of a session (ASVS 6.3.4: every way in has the same
 * strength; security.md §2.4 "tokens issued before the second factor completes"). Otherwise, and
 * once the second factor is proven (`POST /v1/auth/mfa`), `openSession` opens a session of the
 * requested transport, audits `login.succeeded` and mails the user about a new device — in one
 * transaction.
 */
import type { ClientContext } from "../audit/audit-event.js";
import type { Clock } from "../clock.js";
import { mfaMethodsOf } from "../mfa/mfa-factors.js";
import type { MfaMethod } from "../mfa/mfa-store.js";
import type { MfaTokens } from "../mfa/mfa-tokens.js";
import type { AccountNotifier } from "../notifications/account-notifier.js";
import type { Persistence } from "../persistence.js";
import type { SessionTransport } from "../sessions/session.js";
import type { CookieGrant, SessionService, TokenGrant } from "../sessions/session-service.js";
import type { User } from "./user.js";

export interface SignInRequest {
  user: User;
  /**
   * RFC 8176 methods proven so far: `["pwd"]`, `["hwk"]` (a passkey), `["fed"]` (a social-login
   * identity); after a second factor also that factor and `mfa`: `["pwd","otp","mfa"]`.
   */
  amr: string[];
  rememberMe: boolean;
  transport: SessionTransport;
  /** For the audit log: how the first factor was proven (`password`, `passkey`, `oauth:google` …). */
  method: string;
}

export type SignedIn =
  | { ok: true; user: User; grant: TokenGrant }
  | { ok: true; user: User; cookie: CookieGrant };

/** The first factor is proven; the second is still to come (API.md `mfaRequired`). */
export interface MfaRequired {
  ok: true;
  mfaRequired: true;
  mfaToken: string;
  methods: MfaMethod[];
}

export type SignInOutcome = SignedIn | MfaRequired;

export interface SignInDeps {
  persistence: Persistence;
  clock: Clock;
  sessions: SessionService;
  /** Mails the user, inside the sign-in's transaction, when the sign-in comes from a new device. */
  notifier: Pick<AccountNotifier, "notifySignIn">;
  mfaTokens: Pick<MfaTokens, "issue">;
}

export interface SignInCompleter {
  /**
   * Every way of signing in ends here: asks for the second factor when the account has one
   * (unless a passkey proved the first), else opens the session. The caller has already refused
   * disabled accounts.
   */
  complete(request: SignInRequest, client: ClientContext): Promise<SignInOutcome>;
  /**
   * Opens the session. Only for a sign-in that `complete` let through or that proved its second
   * factor (`amr` has `mfa` or `hwk`); for anything else it checks the account and throws when
   * it has a second factor — a programming error, never a way around MFA.
   */
  openSession(request: SignInRequest, client: ClientContext): Promise<SignedIn>;
}

/** A passkey (`hwk`, with user verification) or a finished second factor (`mfa`) needs nothing more. */
const isMultiFactor = (amr: readonly string[]) => amr.includes("mfa") || amr.includes("hwk");

export function createSignInCompleter(deps: SignInDeps): SignInCompleter {
  const { persistence, clock, sessions } = deps;

  async function secondFactorMethods(userId: string): Promise<MfaMethod[]> {
    return mfaMethodsOf(await persistence.mfa.findMfaFactors(userId));
  }

  function open(request: SignInRequest, client: ClientContext): Promise<SignedIn> {
    const { user } = request;
    return persistence.transaction(async (stores) => {
      const start = { user, amr: request.amr, rememberMe: request.rememberMe, client };
      // A cookie sign-in always gets a new random id, whatever cookie came with the request (fixation).
      const opened =
        request.transport === "cookie"
          ? ({ cookie: await sessions.startCookieSession(stores, start) } as const)
          : ({ grant: await sessions.startTokenSession(stores, start) } as const);
      const session = "cookie" in opened ? opened.cookie.session : opened.grant.session;
      await stores.audit.appendAuditEvent({
        type: "login.succeeded",
        userId: user.id,
        actorId: user.id,
        ip: client.ip,
        userAgent: client.userAgent,
        details: { sessionId: session.id, amr: request.amr.join(" "), method: request.method },
        at: clock.now(),
      });
      await deps.notifier.notifySignIn(stores, user, session, client);
      return { ok: true, user, ...opened } as const;
    });
  }

  return {
    async complete(request, client) {
      if (isMultiFactor(request.amr)) return open(request, client);
      const methods = await secondFactorMethods(request.user.id);
      if (methods.length === 0) return open(request, client);
      const mfaToken = await deps.mfaTokens.issue({
        userId: request.user.id,
        amr: request.amr,
        rememberMe: request.rememberMe,
        transport: request.transport,
        method: request.method,
      });
      return { ok: true, mfaRequired: true, mfaToken, methods };
    },

    async openSession(request, client) {
      if (!isMultiFactor(request.amr) && (await secondFactorMethods(request.user.id)).length > 0) {
        throw new Error(
          "openSession: this account has a second factor; sign-ins must go through SignInCompleter.complete",
        );
      }
      return open(request, client);
    },
  };
}
