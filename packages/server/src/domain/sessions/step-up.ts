/**
 * Step-up: sensitive acts (password change, API key creation, MFA changes, email change, account
 * deletion) need an authentication no older than a window, measured from the session's
 * `auth_time` (OpenID Connect Core §2 `auth_time`; ASVS 6.2.x / 7.5.1 re-authentication before
 * sensitive changes). `POST /v1/auth/reauthenticate` renews it.
 */
import { type Clock, toSeconds } from "../clock.js";

export interface StepUpPolicy {
  readonly windowSeconds: number;
  /** Whether an authentication at `authTime` (seconds since the epoch) is recent enough now. */
  isRecent(authTime: number): boolean;
}

/**
 * @example
 * const stepUp = createStepUpPolicy({ clock, windowSeconds: 600 });
 * if (!stepUp.isRecent(auth.authTime)) throw new ProblemError("reauthentication_required");
 */
export function createStepUpPolicy(options: { clock: Clock; windowSeconds: number }): StepUpPolicy {
  return {
    windowSeconds: options.windowSeconds,
    isRecent: (authTime) => toSeconds(options.clock.now()) - authTime <= options.windowSeconds,
  };
}
