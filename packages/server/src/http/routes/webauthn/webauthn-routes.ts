/**
 * /v1/webauthn/*: passkeys (API.md "MFA"). Registering one needs a signed-in session whose last
 * authentication is recent, always — a passkey signs in on its own, so adding one is as sensitive
 * as setting a password, and a stolen session must not be able to plant one (ASVS 7.5.1). So does
 * removing one. Signing in with a passkey is public, limited per client address like login, and
 * answers like login for the transport asked for. Thin: parse, call one service, map.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { WebAuthnCredentialRecord } from "../../../domain/webauthn/webauthn-credential.js";
import { clientContext } from "../../client-context.js";
import type { HttpDeps } from "../../http-deps.js";
import { requireSessionAuth } from "../../plugins/authentication.js";
import { limitPerClientAddress } from "../../plugins/rate-limit.js";
import { ProblemError } from "../../problem.js";
import { replySignIn } from "../../sign-in-reply.js";
import { requireRecentAuthentication } from "../../step-up.js";
import {
  AuthenticationOptionsSchema,
  AuthenticationSchema,
  DeleteCredentialSchema,
  ListCredentialsSchema,
  RegistrationOptionsSchema,
  RegistrationSchema,
} from "./webauthn.schema.js";

const iso = (ms: number) => new Date(ms).toISOString();

export function presentPasskey(credential: WebAuthnCredentialRecord) {
  return {
    id: credential.id,
    name: credential.name,
    deviceType: credential.deviceType,
    backedUp: credential.backedUp,
    transports: credential.transports,
    createdAt: iso(credential.createdAt),
    lastUsedAt: credential.lastUsedAt === null ? null : iso(credential.lastUsedAt),
  };
}

export const webauthnRoutes: FastifyPluginAsyncTypebox<HttpDeps> = async (app, deps) => {
  const { config } = deps;
  const signedIn = { onRequest: app.authenticate };
  const limited = (scope: string) => ({
    onRequest: limitPerClientAddress(deps.publicEndpointLimiter, scope),
  });

  app.post(
    "/v1/webauthn/registration/options",
    { ...signedIn, schema: RegistrationOptionsSchema },
    async (request) => {
      const auth = requireRecentAuthentication(request, deps.stepUp);
      const user = await deps.users.getUser(auth.userId);
      if (user === undefined) throw new ProblemError("invalid_token");
      return deps.webauthn.registrationOptions(user, auth.sessionId);
    },
  );

  app.post(
    "/v1/webauthn/registration",
    { ...signedIn, schema: RegistrationSchema },
    async (request, reply) => {
      // The challenge was issued to this session under step-up; the response must answer it.
      const auth = requireSessionAuth(request);
      const { credential, name } = request.body;
      const outcome = await deps.webauthn.register(
        {
          userId: auth.userId,
          sessionId: auth.sessionId,
          response: credential,
          ...(name === undefined ? {} : { name }),
        },
        clientContext(request),
      );
      if (!outcome.ok) throw new ProblemError(outcome.code);
      return reply.code(201).send({
        credential: presentPasskey(outcome.credential),
        ...(outcome.backupCodes === null ? {} : { backupCodes: outcome.backupCodes }),
      });
    },
  );

  app.post(
    "/v1/webauthn/authentication/options",
    { ...limited("webauthn-options"), schema: AuthenticationOptionsSchema },
    async (request) => {
      const outcome = await deps.webauthn.authenticationOptions(request.body.mfaToken);
      if (outcome.ok) return outcome.options;
      if (outcome.code === "invalid_mfa_token") throw new ProblemError("invalid_mfa_token");
      throw new ProblemError("validation_failed", {
        errors: [{ pointer: "/mfaToken", detail: "the account has no passkey; use another method" }],
      });
    },
  );

  app.post(
    "/v1/webauthn/authentication",
    { ...limited("webauthn-sign-in"), schema: AuthenticationSchema },
    async (request, reply) => {
      const { credential, rememberMe = false, transport = "token" } = request.body;
      const outcome = await deps.webauthn.signIn(
        { response: credential, rememberMe, transport },
        clientContext(request),
      );
      deps.metrics.logins.inc({ outcome: outcome.ok ? "succeeded" : outcome.code });
      if (!outcome.ok) {
        // A failed sign-in is a 401, like a wrong password; a failed registration stays a 400.
        throw new ProblemError(
          outcome.code,
          outcome.code === "invalid_webauthn_response" ? { status: 401 } : {},
        );
      }
      return replySignIn(reply, outcome, config.secureCookies);
    },
  );

  app.get("/v1/webauthn/credentials", { ...signedIn, schema: ListCredentialsSchema }, async (request) => {
    const credentials = await deps.webauthn.listCredentials(requireSessionAuth(request).userId);
    return { credentials: credentials.map(presentPasskey) };
  });

  app.delete(
    "/v1/webauthn/credentials/:id",
    { ...signedIn, schema: DeleteCredentialSchema },
    async (request, reply) => {
      const auth = requireRecentAuthentication(request, deps.stepUp);
      const outcome = await deps.webauthn.removeCredential(
        auth.userId,
        request.params.id,
        clientContext(request),
      );
      if (outcome === "not_found") throw new ProblemError("not_found");
      if (outcome === "last_sign_in_method") throw new ProblemError("last_sign_in_method");
      return reply.code(204).send(null);
    },
  );
};
