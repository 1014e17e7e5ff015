/**
 * The last step of every sign-in, whatever proved the first factor (a password, a social-login
 * identity, a passkey): open a session of the requested transport, audit `login.succeeded`, and
 * mail the user about a new device — in one transaction. The MFA step (issue 5) hooks in here, so
 * no way of signing in can skip it.
 */
import type { ClientContext } from "../audit/audit-event.js";
import type { Clock } from "../clock.js";
import type { AccountNotifier } from "../notifications/account-notifier.js";
import type { Persistence } from "../persistence.js";
import type { SessionTransport } from "../sessions/session.js";
import type { CookieGrant, SessionService, TokenGrant } from "../sessions/session-service.js";
import type { User } from "./user.js";

export interface SignInRequest {
  user: User;
  /** RFC 8176 methods proven so far: `["pwd"]`, `["hwk"]`, or `["fed"]` for a social-login identity. */
  amr: string[];
  rememberMe: boolean;
  transport: SessionTransport;
  /** For the audit log: how the first factor was proven (`password`, `passkey`, `oauth:google` …). */
  method: string;
}

export type SignedIn =
  | { ok: true; user: User; grant: TokenGrant }
  | { ok: true; user: User; cookie: CookieGrant };

export interface SignInDeps {
  persistence: Persistence;
  clock: Clock;
  sessions: SessionService;
  /** Mails the user, inside the sign-in's transaction, when the sign-in comes from a new device. */
  notifier: Pick<AccountNotifier, "notifySignIn">;
}

export interface SignInCompleter {
  /** Opens the session. The caller has already refused disabled accounts. */
  openSession(request: SignInRequest, client: ClientContext): Promise<SignedIn>;
}

export function createSignInCompleter(deps: SignInDeps): SignInCompleter {
  const { persistence, clock, sessions } = deps;
  return {
    openSession(request, client) {
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
    },
  };
}
