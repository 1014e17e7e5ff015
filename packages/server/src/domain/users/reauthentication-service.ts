/**
 * Re-authentication of a signed-in session with its user's password or a second-factor code (a
 * TOTP or backup code, issue 5), as named steps: throttle → verify the password or code → renew
 * the session's `auth_time` (with new tokens, or a new cookie value — a privilege change gets a
 * new secret, like a login). Guessing passwords through it is throttled like login and password
 * change; codes like every other second-factor check (per account, mfa-failure-limit.ts), and
 * each code is spent.
 */
import type { ClientContext } from "../audit/audit-event.js";
import type { SecondFactorVerifier } from "../mfa/second-factor.js";
import type { PasswordHasher } from "../passwords/password-hasher.js";
import { normalizePassword } from "../passwords/password-policy.js";
import type { Persistence } from "../persistence.js";
import type { LoginThrottle } from "../rate-limit/login-throttle.js";
import type { RenewedSession, SessionService } from "../sessions/session-service.js";

export type ReauthenticationOutcome =
  | ({ ok: true } & RenewedSession)
  | { ok: false; code: "invalid_credentials" | "invalid_mfa_code" | "session_ended" }
  | { ok: false; code: "rate_limited"; retryAfterSeconds: number };

export interface ReauthenticationService {
  /** With the password, or with a code of the user's second factor. */
  reauthenticate(
    input: { userId: string; sessionId: string } & ({ password: string } | { code: string }),
    client: ClientContext,
  ): Promise<ReauthenticationOutcome>;
}

export interface ReauthenticationServiceDeps {
  persistence: Persistence;
  hasher: PasswordHasher;
  throttle: LoginThrottle;
  sessions: SessionService;
  secondFactor: Pick<SecondFactorVerifier, "verifyCode">;
}

export function createReauthenticationService(deps: ReauthenticationServiceDeps): ReauthenticationService {
  const { persistence, hasher, throttle, sessions } = deps;
  return {
    async reauthenticate(input, client) {
      if ("code" in input) {
        const check = await deps.secondFactor.verifyCode(input.userId, input.code, "step_up", client);
        if (!check.ok) return check;
        const renewed = await sessions.renewAuthentication(input.userId, input.sessionId);
        return renewed === null ? { ok: false, code: "session_ended" } : { ok: true, ...renewed };
      }
      // The same key as a password change: both guess the signed-in user's password.
      const throttleKey = `user:${input.userId}`;
      const wait = await throttle.retryAfter(throttleKey, client.ip);
      if (wait > 0) return { ok: false, code: "rate_limited", retryAfterSeconds: wait };
      const user = await persistence.users.findUserWithPasswordById(input.userId);
      if (user?.passwordHash == null) {
        await hasher.verifyDummy(input.password.slice(0, 2048));
        return { ok: false, code: "invalid_credentials" };
      }
      const check = await hasher.verify(user.passwordHash, normalizePassword(input.password));
      if (!check.valid) {
        await throttle.recordFailure(throttleKey, client.ip);
        return { ok: false, code: "invalid_credentials" };
      }
      await throttle.recordSuccess(throttleKey, client.ip);
      const renewed = await sessions.renewAuthentication(input.userId, input.sessionId);
      return renewed === null ? { ok: false, code: "session_ended" } : { ok: true, ...renewed };
    },
  };
}
