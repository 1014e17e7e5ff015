/**
 * Where the OpenID provider sends a browser to sign in and to consent (`/interaction/:uid`).
 * - login: a signed-out person goes to `/login?redirectTo=/interaction/:uid` and comes back
 *   signed in; a signed-in person's Portcullis session is handed to the provider at once (single
 *   sign-on), and becomes the provider's session (oidc/openid-provider.ts binds the two);
 * - consent: a first-party client, or a client the person already allowed these scopes, gets a
 *   grant without a question; otherwise the consent page asks. API scopes are granted only as far
 *   as the person's roles grant them (PORTCULLIS_ROLE_SCOPES): nobody delegates what they lack.
 * Each grant is linked to the Portcullis session it was made in, so ending the session ends it.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { InteractionDetails } from "oidc-provider";
import { scopesOfRoles } from "../../domain/authz/scopes.js";
import type { OAuthClient } from "../../domain/oauth-clients/oauth-client.js";
import { clientContext } from "../../http/client-context.js";
import { clearSessionCookie, setSessionCookie } from "../../http/session-cookie.js";
import type { OpenIdProvider } from "../../oidc/openid-provider.js";
import type { OAuthGrantRepository } from "../../store/sql/oauth-grant-repository.js";
import { ErrorPage } from "../components/error-page.js";
import type { PageDeps, PageSession } from "../page-context.js";
import {
  formBody,
  pageContext,
  rateLimitedMessage,
  rawField,
  seeOther,
  sendPage,
  textField,
} from "../render.js";
import { ConsentPage, ReauthenticatePage } from "./consent-page.js";
import { needsFreshSignIn } from "./fresh-sign-in.js";

/** What the interaction pages need of the OpenID provider. */
export interface OpenIdPageDeps {
  provider: OpenIdProvider;
  findClientById(id: string): Promise<OAuthClient | null>;
  grants: OAuthGrantRepository;
  /** Audits a consent given. */
  consentGranted(userId: string, clientId: string, scopes: string[]): Promise<void>;
  /** "Connected apps": the clients a person allowed, newest first (deleted clients left out). */
  listConnectedApps(userId: string): Promise<ConnectedApp[]>;
  /** Withdraws the consent and ends what the client was granted; `actorId`: who did (default the user). */
  disconnectApp(userId: string, clientId: string, actorId?: string): Promise<void>;
  now(): number;
}

export interface ConnectedApp {
  clientId: string;
  name: string;
  scopes: string[];
  /** When consent was first given (epoch ms). */
  since: number;
}

const OPENID_SCOPES = new Set(["openid", "profile", "email", "offline_access"]);

export const interactionPages: FastifyPluginAsync<PageDeps & { openId: OpenIdPageDeps }> = async (
  app,
  deps,
) => {
  const { openId, config } = deps;

  async function details(request: FastifyRequest, reply: FastifyReply): Promise<InteractionDetails | null> {
    const { uid } = request.params as { uid: string };
    try {
      const found = await openId.provider.current().interactionDetails(request.raw, reply.raw);
      return found.uid === uid ? found : null;
    } catch {
      // No interaction cookie, an expired interaction, a uid of another browser's.
      return null;
    }
  }

  function expired(request: FastifyRequest, reply: FastifyReply) {
    const ctx = pageContext(request);
    return sendPage(
      reply,
      <ErrorPage ctx={ctx} title={ctx.t.consent.expiredTitle} message={ctx.t.consent.expiredMessage} />,
      400,
    );
  }

  async function finish(request: FastifyRequest, reply: FastifyReply, result: Record<string, unknown>) {
    // Merged with the last submission: a consent after a fresh sign-in keeps that sign-in, so a
    // `prompt=login` counts as answered.
    const next = await openId.provider
      .current()
      .interactionResult(request.raw, reply.raw, result, { mergeWithLastSubmission: true });
    return seeOther(reply, next);
  }

  /** What the request asks for, within what the client may ask and the person may delegate. */
  function askedScopes(interaction: InteractionDetails, client: OAuthClient, person: PageSession): string[] {
    const requested = String(interaction.params.scope ?? "").split(" ");
    const delegable = new Set(scopesOfRoles(config.roleScopes, person.roles));
    return [...new Set(requested)].filter(
      (scope) => client.scopes.includes(scope) && (OPENID_SCOPES.has(scope) || delegable.has(scope)),
    );
  }

  /** Records the grant the provider asks for and links it to this Portcullis session. */
  async function grantAndFinish(
    request: FastifyRequest,
    reply: FastifyReply,
    interaction: InteractionDetails,
    person: PageSession,
    scopes: string[],
  ) {
    const provider = openId.provider.current();
    const clientId = interaction.params.client_id;
    const existing =
      interaction.grantId === undefined ? undefined : await provider.Grant.find(interaction.grantId);
    const grant = existing ?? new provider.Grant({ accountId: person.user.id, clientId });
    // What is asked but not granted is recorded as rejected, so the provider does not ask again.
    const granted = new Set(scopes);
    const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = interaction.prompt.details;
    const openIdAsked = missingOIDCScope ?? [];
    const openIdGranted = openIdAsked.filter((scope) => granted.has(scope));
    const openIdRejected = openIdAsked.filter((scope) => !granted.has(scope));
    if (openIdGranted.length > 0) grant.addOIDCScope(openIdGranted.join(" "));
    if (openIdRejected.length > 0) grant.rejectOIDCScope(openIdRejected.join(" "));
    if (missingOIDCClaims !== undefined) grant.addOIDCClaims(missingOIDCClaims);
    for (const [resource, asked] of Object.entries(missingResourceScopes ?? {})) {
      // An empty entry still records the resource as granted (a token with no API scope).
      grant.addResourceScope(resource, asked.filter((scope) => granted.has(scope)).join(" "));
      const rejected = asked.filter((scope) => !granted.has(scope));
      if (rejected.length > 0) grant.rejectResourceScope(resource, rejected.join(" "));
    }
    const grantId = await grant.save();
    await openId.grants.linkGrant(
      {
        grantId,
        sessionId: person.sessionId,
        userId: person.user.id,
        clientId,
        amr: person.amr,
        authTime: person.authTime,
      },
      openId.now(),
    );
    return finish(request, reply, { consent: { grantId } });
  }

  // A browser that came signed out and was sent to /login is remembered for the request's life:
  // its sign-in, even in the second the request began, is a fresh one (fresh-sign-in.ts).
  const sentToSignInKey = (uid: string) => `oidc-interaction-sign-in:${uid}`;
  async function sendToSignIn(reply: FastifyReply, interaction: InteractionDetails) {
    const ttlMs = Math.max(1, interaction.exp * 1000 - openId.now());
    await deps.ephemeral.put(sentToSignInKey(interaction.uid), "1", ttlMs);
    return seeOther(reply, `/login?redirectTo=${encodeURIComponent(`/interaction/${interaction.uid}`)}`);
  }
  const needsSignInAgain = (interaction: InteractionDetails, person: PageSession) =>
    needsFreshSignIn(
      { reasons: interaction.prompt.reasons, iat: interaction.iat },
      person.authTime,
      async () => (await deps.ephemeral.get(sentToSignInKey(interaction.uid))) !== undefined,
    );

  const signedInAs = (person: PageSession, authTime = person.authTime) => ({
    login: { accountId: person.user.id, ts: authTime, amr: person.amr, remember: true },
  });

  async function reauthenticatePage(
    request: FastifyRequest,
    reply: FastifyReply,
    interaction: InteractionDetails,
    person: PageSession,
    error?: string,
    status = 200,
  ) {
    const client = await openId.findClientById(interaction.params.client_id);
    if (client === null) return expired(request, reply);
    const page = (
      <ReauthenticatePage
        ctx={pageContext(request)}
        uid={interaction.uid}
        clientName={client.name}
        offerCode={person.user.mfaEnabled}
        error={error}
      />
    );
    return sendPage(reply, page, status);
  }

  app.get("/interaction/:uid", async (request, reply) => {
    const interaction = await details(request, reply);
    if (interaction === null) return expired(request, reply);
    const ctx = pageContext(request);
    const person = ctx.signedIn;
    const { uid } = interaction;
    if (interaction.prompt.name === "login") {
      if (person === null) return sendToSignIn(reply, interaction);
      if (await needsSignInAgain(interaction, person))
        return reauthenticatePage(request, reply, interaction, person);
      return finish(request, reply, signedInAs(person));
    }
    if (interaction.prompt.name !== "consent" || person === null) return expired(request, reply);
    const client = await openId.findClientById(interaction.params.client_id);
    if (client === null) return expired(request, reply);
    const scopes = askedScopes(interaction, client, person);
    const remembered = await openId.grants.findConsent(person.user.id, client.id);
    // `prompt=consent` asks the person again, whatever they allowed before (first-party apps excepted).
    const askAgain = interaction.prompt.reasons.includes("consent_prompt");
    const allowedBefore =
      remembered !== undefined && scopes.every((scope) => remembered.scopes.includes(scope));
    if (client.firstParty || (allowedBefore && !askAgain))
      return grantAndFinish(request, reply, interaction, person, scopes);
    return sendPage(reply, <ConsentPage ctx={ctx} uid={uid} clientName={client.name} scopes={scopes} />);
  });

  app.post("/interaction/:uid/reauthenticate", async (request, reply) => {
    const interaction = await details(request, reply);
    const person = pageContext(request).signedIn;
    if (interaction === null || interaction.prompt.name !== "login" || person === null)
      return expired(request, reply);
    const { t } = pageContext(request);
    const form = formBody(request);
    const code = textField(form, "code")?.replace(/\s+/g, "");
    const password = rawField(form, "password");
    if (code === undefined && (password === undefined || password === ""))
      return reauthenticatePage(request, reply, interaction, person, t.account.stepUp.missing, 400);
    const outcome = await deps.reauthentication.reauthenticate(
      {
        userId: person.user.id,
        sessionId: person.sessionId,
        ...(code === undefined ? { password: password ?? "" } : { code }),
      },
      clientContext(request),
    );
    if (!outcome.ok) {
      switch (outcome.code) {
        case "invalid_credentials":
          return reauthenticatePage(request, reply, interaction, person, t.account.stepUp.wrongPassword, 401);
        case "invalid_mfa_code":
          return reauthenticatePage(request, reply, interaction, person, t.errors.invalid_mfa_code, 401);
        case "rate_limited":
          return reauthenticatePage(
            request,
            reply,
            interaction,
            person,
            rateLimitedMessage(t, outcome.retryAfterSeconds),
            429,
          );
        case "session_ended":
          clearSessionCookie(reply, config.secureCookies);
          return sendToSignIn(reply, interaction);
      }
    }
    if (!("cookie" in outcome)) throw new Error("a page session is a cookie session");
    // A renewed sign-in gets a new cookie secret (as at sign-in); the provider hears the new time.
    setSessionCookie(reply, outcome.cookie, config.secureCookies);
    return finish(request, reply, signedInAs(person, outcome.cookie.session.authTime));
  });

  app.post("/interaction/:uid/consent", async (request, reply) => {
    const interaction = await details(request, reply);
    const person = pageContext(request).signedIn;
    if (interaction === null || interaction.prompt.name !== "consent" || person === null)
      return expired(request, reply);
    const client = await openId.findClientById(interaction.params.client_id);
    if (client === null) return expired(request, reply);
    if (textField(formBody(request), "decision") !== "allow")
      return finish(request, reply, {
        error: "access_denied",
        error_description: "The person denied the request",
      });
    const scopes = askedScopes(interaction, client, person);
    await openId.grants.saveConsent(person.user.id, client.id, scopes, openId.now());
    await openId.consentGranted(person.user.id, client.id, scopes);
    return grantAndFinish(request, reply, interaction, person, scopes);
  });
};
