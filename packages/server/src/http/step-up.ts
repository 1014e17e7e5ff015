/** Step-up at the HTTP edge: `401 reauthentication_required` unless the session's `auth_time` is recent. */
import type { FastifyRequest } from "fastify";
import type { StepUpPolicy } from "../domain/sessions/step-up.js";
import { type AuthContext, requireSessionAuth } from "./plugins/authentication.js";
import { ProblemError } from "./problem.js";

/** The caller's session, when its last authentication is within the step-up window. */
export function requireRecentAuthentication(
  request: FastifyRequest,
  stepUp: StepUpPolicy,
): AuthContext & { sessionId: string } {
  const auth = requireSessionAuth(request);
  if (!stepUp.isRecent(auth.authTime)) {
    throw new ProblemError("reauthentication_required", {
      detail: `This needs a sign-in within the last ${Math.round(stepUp.windowSeconds / 60)} minutes.`,
    });
  }
  return auth;
}
