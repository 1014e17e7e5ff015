/**
 * How every sign-in answers (login, the MFA step, a passkey, re-authentication): a token
 * response with the `pc_refresh` cookie, or the session cookie with `{user, session}` — or, when
 * a second factor is still to come, `{mfaRequired, mfaToken, methods}` and no credential at all.
 * One place, so the second step answers exactly as the login would have for the transport chosen
 * at login.
 */
import type { FastifyReply } from "fastify";
import type { RenewedSession } from "../domain/sessions/session-service.js";
import type { SignInOutcome } from "../domain/users/sign-in.js";
import { presentCookieLogin, presentTokenGrant } from "./presenters.js";
import { setRefreshCookie } from "./refresh-cookie.js";
import { setSessionCookie } from "./session-cookie.js";

/** Sets the session's cookies on `reply` and returns the body to send. */
export function replySession(reply: FastifyReply, session: RenewedSession, secureCookies: boolean) {
  if ("cookie" in session) {
    setSessionCookie(reply, session.cookie, secureCookies);
    return presentCookieLogin(session.cookie, session.user);
  }
  setRefreshCookie(reply, session.grant, secureCookies);
  return presentTokenGrant(session.grant, session.user);
}

/** Like `replySession`, or the `mfaRequired` answer (which sets no cookie). */
export function replySignIn(reply: FastifyReply, outcome: SignInOutcome, secureCookies: boolean) {
  if ("mfaRequired" in outcome) {
    return { mfaRequired: true as const, mfaToken: outcome.mfaToken, methods: outcome.methods };
  }
  return replySession(reply, outcome, secureCookies);
}
