/**
 * /v1/mfa/*: a signed-in user's TOTP and backup codes; and POST /v1/auth/mfa, the second step of
 * a sign-in that answered `mfaRequired` (API.md "MFA", "Registration and login"). Changing a
 * factor needs a session (not an API key) whose last authentication is recent (step-up, ASVS
 * 7.5.1); setup is where a new secret appears, so it is the step that asks. Thin: parse, call one
 * service, map.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { SecondFactorProof } from "../../../domain/mfa/mfa-login-service.js";
import { clientContext } from "../../client-context.js";
import type { HttpDeps } from "../../http-deps.js";
import { requireSessionAuth } from "../../plugins/authentication.js";
import { limitPerClientAddress } from "../../plugins/rate-limit.js";
import { ProblemError, rateLimitedProblem } from "../../problem.js";
import { replySession } from "../../sign-in-reply.js";
import { requireRecentAuthentication } from "../../step-up.js";
import {
  BackupCodesSchema,
  CompleteMfaSchema,
  MfaStatusSchema,
  TotpDisableSchema,
  TotpEnableSchema,
  TotpSetupSchema,
} from "./mfa.schema.js";

type Failure =
  | { ok: false; code: "rate_limited"; retryAfterSeconds: number }
  | {
      ok: false;
      code:
        | "invalid_mfa_code"
        | "invalid_mfa_token"
        | "invalid_credentials"
        | "mfa_already_enabled"
        | "mfa_not_enabled"
        | "totp_not_set_up";
    };

/** The problem of a failed MFA act; `codeStatus` is 400 where the contract says so (enable). */
function mfaProblem(outcome: Failure, codeStatus = 401): ProblemError {
  switch (outcome.code) {
    case "rate_limited":
      return rateLimitedProblem(outcome.retryAfterSeconds);
    case "invalid_mfa_code":
      return new ProblemError("invalid_mfa_code", { status: codeStatus });
    case "invalid_credentials":
      // API.md lists one 401 for a disable: a wrong password answers like a wrong code, said plainly.
      return new ProblemError("invalid_mfa_code", { status: codeStatus, detail: "The password is wrong." });
    case "totp_not_set_up":
      return new ProblemError("invalid_mfa_code", {
        status: codeStatus,
        detail: "There is no TOTP setup waiting for a code; start with POST /v1/mfa/totp/setup.",
      });
    default:
      return new ProblemError(outcome.code);
  }
}

export const mfaRoutes: FastifyPluginAsyncTypebox<HttpDeps> = async (app, deps) => {
  const { config } = deps;
  const signedIn = { onRequest: app.authenticate };

  app.get("/v1/mfa", { ...signedIn, schema: MfaStatusSchema }, async (request) => {
    return deps.mfa.status(requireSessionAuth(request).userId);
  });

  app.post("/v1/mfa/totp/setup", { ...signedIn, schema: TotpSetupSchema }, async (request) => {
    const auth = requireRecentAuthentication(request, deps.stepUp);
    const user = await deps.users.getUser(auth.userId);
    if (user === undefined) throw new ProblemError("invalid_token");
    const outcome = await deps.mfa.setupTotp(user);
    if (!outcome.ok) throw new ProblemError(outcome.code);
    return { secret: outcome.secret, otpauthUrl: outcome.otpauthUrl, qrCode: outcome.qrCode };
  });

  app.post("/v1/mfa/totp/enable", { ...signedIn, schema: TotpEnableSchema }, async (request) => {
    const auth = requireSessionAuth(request);
    const outcome = await deps.mfa.enableTotp(auth.userId, request.body.code, clientContext(request));
    if (!outcome.ok) throw mfaProblem(outcome, 400);
    return { backupCodes: outcome.backupCodes };
  });

  app.post("/v1/mfa/totp/disable", { ...signedIn, schema: TotpDisableSchema }, async (request, reply) => {
    const auth = requireRecentAuthentication(request, deps.stepUp);
    const { code, password } = request.body;
    const proof = code === undefined ? { password: password ?? "" } : { code };
    const outcome = await deps.mfa.disableTotp(auth.userId, proof, clientContext(request));
    if (!outcome.ok) throw mfaProblem(outcome);
    return reply.code(204).send(null);
  });

  app.post("/v1/mfa/backup-codes", { ...signedIn, schema: BackupCodesSchema }, async (request) => {
    const auth = requireRecentAuthentication(request, deps.stepUp);
    const outcome = await deps.mfa.regenerateBackupCodes(
      auth.userId,
      request.body.code,
      clientContext(request),
    );
    if (!outcome.ok) throw mfaProblem(outcome);
    return { backupCodes: outcome.backupCodes };
  });

  // The second step of a sign-in: public (the mfaToken is the credential), limited per address.
  app.post(
    "/v1/auth/mfa",
    { schema: CompleteMfaSchema, onRequest: limitPerClientAddress(deps.publicEndpointLimiter, "mfa") },
    async (request, reply) => {
      const { mfaToken, code, backupCode, webauthn } = request.body;
      const proof: SecondFactorProof =
        code !== undefined
          ? { code }
          : backupCode !== undefined
            ? { backupCode }
            : { webauthn: webauthn ?? missingFactor() };
      const outcome = await deps.mfaLogin.complete({ mfaToken, proof }, clientContext(request));
      deps.metrics.logins.inc({ outcome: outcome.ok ? "succeeded" : outcome.code });
      if (!outcome.ok) throw mfaProblem(outcome);
      return replySession(reply, outcome, config.secureCookies);
    },
  );
};

/** The schema already asks for exactly one factor; this only satisfies the type checker. */
function missingFactor(): never {
  throw new ProblemError("validation_failed", {
    errors: [{ pointer: "", detail: "needs one of code, backupCode, webauthn" }],
  });
}
