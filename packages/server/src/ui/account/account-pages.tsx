/**
 * The account security centre (`/account`, API.md "Pages for people") on the cookie session: a
 * thin adapter over the services the JSON routes of `/v1/me`, `/v1/mfa`, `/v1/webauthn`,
 * `/v1/sessions`, `/v1/me/identities` and `/v1/api-keys` call, with their checks — step-up where
 * they ask for a recent sign-in, asked for in place (`account-acts.ts`).
 *
 * Every form posts to a sub-path and, when it worked, redirects to `/account?done=<key>` (a key
 * from a fixed list, never words from the URL); when it did not, the page comes back with the
 * error in words in the section and a 4xx. What is shown once (backup codes, a new API key) waits
 * for that redirect in the short-lived store, never in a URL. Every answer is `no-store` (as every
 * page's: the security-headers plugin).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { clientContext } from "../../http/client-context.js";
import { consumePerClientAddress } from "../../http/plugins/rate-limit.js";
import { ProblemError } from "../../http/problem.js";
import { clearSessionCookie, setSessionCookie } from "../../http/session-cookie.js";
import type { PageDeps, PageSession } from "../page-context.js";
import {
  type FormBody,
  formBody,
  pageContext,
  rawField,
  requireSignedIn,
  seeOther,
  sendPage,
  textField,
} from "../render.js";
import { providerDisplayName } from "../sign-in/sign-in-pages.js";
import { NAME_MAX_LENGTH } from "../sign-up/register-page.js";
import {
  type AccountResponder,
  type ActCall,
  apiKeyValues,
  createAccountActs,
  inSection,
  parseApiKeyInput,
  pick,
  rateLimited,
} from "./account-acts.js";
import { doneEntry, doneUrl, linkErrorInWords } from "./account-notices.js";
import { AccountPage } from "./account-page.js";
import { type AccountState, loadAccountData, type StepUpAction } from "./account-view.js";
import { offeredScopes, scopeFieldName } from "./api-keys-section.js";
import { createShownOnce } from "./shown-once.js";

const hidden = { schema: { hide: true } };

export const accountPages: FastifyPluginAsync<PageDeps> = async (app, deps) => {
  const { config } = deps;
  const shown = createShownOnce(deps.ephemeral);
  const offered = (signedIn: PageSession) => offeredScopes(signedIn.roles.includes("admin"));

  const respond: AccountResponder = {
    async render(call, state, status) {
      const data = await loadAccountData(deps, call.signedIn);
      const ctx = pageContext(call.request);
      return sendPage(call.reply, <AccountPage ctx={ctx} data={data} state={state} />, status);
    },
  };
  const acts = createAccountActs(deps, shown, respond, offered);
  const isAction = (value: string | undefined): value is StepUpAction =>
    value !== undefined && Object.hasOwn(acts, value);

  /** The signed-in person for a form post; a signed-out one goes to sign in, then to the page. */
  function signedInFor(request: FastifyRequest, reply: FastifyReply): ActCall | null {
    const { signedIn } = pageContext(request);
    if (signedIn === null) {
      void seeOther(reply, `/login?redirectTo=${encodeURIComponent("/account")}`);
      return null;
    }
    return { request, reply, signedIn };
  }

  /** Runs the act now when the sign-in is recent; otherwise asks for the step-up in its section. */
  function withStepUp(call: ActCall, action: StepUpAction, input: FormBody) {
    const act = acts[action];
    if (deps.stepUp.isRecent(call.signedIn.authTime)) return act.run(call, input);
    const stepUp = { action, carry: pick(input, act.carry) };
    return respond.render(call, inSection(act.section, { stepUp }), 401);
  }

  const param = (request: FastifyRequest, name: string) =>
    (request.params as Record<string, string | undefined>)[name] ?? "";

  app.get("/account", hidden, async (request, reply) => {
    const signedIn = requireSignedIn(request, reply);
    if (signedIn === null) return reply;
    const { t } = pageContext(request);
    const query = request.query as Record<string, string | undefined>;
    const state: AccountState = { sections: {} };
    const done = doneEntry(query.done);
    if (done !== undefined) {
      state.sections[done.section] = {
        notice: done.notice(t),
        ...(done.open === undefined ? {} : { open: done.open }),
      };
      const reveal = done.reveal === undefined ? undefined : await shown.takeReveal(signedIn.sessionId);
      if (reveal?.kind === "backup-codes" && done.reveal === "backup-codes") state.backupCodes = reveal.codes;
      if (reveal?.kind === "api-key" && done.reveal === "api-key") {
        state.newApiKey = { key: reveal.key, name: reveal.name };
      }
    }
    if (query.notice === "verify-email") state.verifyNotice = true;
    if (query.step === "totp-setup") {
      const setup = await shown.getSetup(signedIn.sessionId);
      if (setup === undefined) state.sections["two-factor"] = { error: t.account.twoFactor.setupExpired };
      else state.totpSetup = setup;
    }
    // Back from a provider flow started with link=1.
    if (query.linked !== undefined && deps.socialLogin.providerIds.includes(query.linked)) {
      state.sections["connected-accounts"] = {
        notice: t.account.connected.linked(providerDisplayName(query.linked)),
      };
    } else if (query.error !== undefined) {
      state.sections["connected-accounts"] = { error: linkErrorInWords(t, query.error) };
    }
    return respond.render({ request, reply, signedIn }, state, 200);
  });

  app.post("/account/profile", hidden, async (request, reply) => {
    const call = signedInFor(request, reply);
    if (call === null) return reply;
    const words = pageContext(request).t.account.profile;
    const name = textField(formBody(request), "name") ?? null;
    if (name !== null && [...name].length > NAME_MAX_LENGTH) {
      const message = words.nameTooLong(NAME_MAX_LENGTH);
      return respond.render(
        call,
        inSection("profile", { error: message, fieldErrors: { name: message }, values: { name } }),
        400,
      );
    }
    const user = await deps.users.updateProfile(call.signedIn.user.id, { name });
    if (user === undefined) throw new ProblemError("unauthenticated");
    return seeOther(reply, doneUrl("profile-saved"));
  });

  app.post("/account/password", hidden, async (request, reply) => {
    const call = signedInFor(request, reply);
    return call === null ? reply : withStepUp(call, "password", formBody(request));
  });

  app.post("/account/email", hidden, async (request, reply) => {
    const call = signedInFor(request, reply);
    return call === null ? reply : withStepUp(call, "email", formBody(request));
  });

  // As POST /v1/email/verify/resend: limited per client address (the same counter), then per address.
  app.post("/account/email/resend", hidden, async (request, reply) => {
    const call = signedInFor(request, reply);
    if (call === null) return reply;
    const wait = await consumePerClientAddress(deps.publicEndpointLimiter, "resend", request);
    if (wait > 0) return respond.render(call, inSection("email", { error: rateLimited(call, wait) }), 429);
    const outcome = await deps.emailVerification.resendVerification(
      call.signedIn.user.id,
      clientContext(request),
    );
    if (outcome.ok) return seeOther(reply, doneUrl(outcome.sent ? "verification-sent" : "already-verified"));
    if (outcome.code === "unknown_user") throw new ProblemError("unauthenticated");
    return respond.render(
      call,
      inSection("email", { error: rateLimited(call, outcome.retryAfterSeconds) }),
      429,
    );
  });

  app.post("/account/totp/setup", hidden, async (request, reply) => {
    const call = signedInFor(request, reply);
    return call === null ? reply : withStepUp(call, "totp-setup", formBody(request));
  });

  // As POST /v1/mfa/totp/enable: the session alone (setup asked for the step-up).
  app.post("/account/totp/enable", hidden, async (request, reply) => {
    const call = signedInFor(request, reply);
    if (call === null) return reply;
    const { t } = pageContext(request);
    const sessionId = call.signedIn.sessionId;
    const code = textField(formBody(request), "code")?.replace(/\s+/g, "");
    const setup = await shown.getSetup(sessionId);
    const again = async (error: string, status: number) => {
      const state = inSection("two-factor", { error });
      return respond.render(call, setup === undefined ? state : { ...state, totpSetup: setup }, status);
    };
    if (code === undefined) return again(t.account.twoFactor.codeMissing, 400);
    const outcome = await deps.mfa.enableTotp(call.signedIn.user.id, code, clientContext(request));
    if (outcome.ok) {
      await shown.dropSetup(sessionId);
      await shown.putReveal(sessionId, { kind: "backup-codes", codes: outcome.backupCodes });
      return seeOther(reply, doneUrl("totp-enabled"));
    }
    switch (outcome.code) {
      case "invalid_mfa_code":
        return again(t.errors.invalid_mfa_code, 400);
      case "totp_not_set_up":
        return respond.render(
          call,
          inSection("two-factor", { error: t.account.twoFactor.setupExpired }),
          400,
        );
      case "mfa_already_enabled":
        return respond.render(call, inSection("two-factor", { error: t.errors.mfa_already_enabled }), 409);
      case "rate_limited":
        return again(rateLimited(call, outcome.retryAfterSeconds), 429);
    }
  });

  app.post("/account/totp/disable", hidden, async (request, reply) => {
    const call = signedInFor(request, reply);
    return call === null ? reply : withStepUp(call, "totp-disable", formBody(request));
  });

  app.post("/account/backup-codes", hidden, async (request, reply) => {
    const call = signedInFor(request, reply);
    return call === null ? reply : withStepUp(call, "backup-codes", formBody(request));
  });

  app.post("/account/passkeys/add", hidden, async (request, reply) => {
    const call = signedInFor(request, reply);
    return call === null ? reply : withStepUp(call, "passkey-add", formBody(request));
  });

  app.post("/account/passkeys/:id/remove", hidden, async (request, reply) => {
    const call = signedInFor(request, reply);
    return call === null ? reply : withStepUp(call, "passkey-remove", { id: param(request, "id") });
  });

  // As DELETE /v1/sessions/:id; signing out this device here is signing out.
  app.post("/account/sessions/:id/revoke", hidden, async (request, reply) => {
    const call = signedInFor(request, reply);
    if (call === null) return reply;
    const id = param(request, "id");
    const revoked = await deps.sessions.revokeSession(
      call.signedIn.user.id,
      id,
      id === call.signedIn.sessionId ? "logout" : "revoked",
      clientContext(request),
    );
    if (id === call.signedIn.sessionId) {
      clearSessionCookie(reply, config.secureCookies);
      return seeOther(reply, "/login?signedOut=1");
    }
    if (revoked) return seeOther(reply, doneUrl("session-revoked"));
    const { t } = pageContext(request);
    return respond.render(call, inSection("devices", { error: t.account.devices.notFound }), 404);
  });

  // As POST /v1/auth/logout-all: every session, this one too.
  app.post("/account/sessions/revoke-all", hidden, async (request, reply) => {
    const call = signedInFor(request, reply);
    if (call === null) return reply;
    await deps.sessions.revokeUserSessions(call.signedIn.user.id, "logout_all", clientContext(request));
    clearSessionCookie(reply, config.secureCookies);
    return seeOther(reply, "/login?signedOut=1");
  });

  // A link, not a form: straight to the provider when the sign-in is recent, else the step-up first.
  app.get("/account/link/:provider", hidden, async (request, reply) => {
    const signedIn = requireSignedIn(request, reply);
    if (signedIn === null) return reply;
    return withStepUp({ request, reply, signedIn }, "identity-link", {
      provider: param(request, "provider"),
    });
  });

  app.post("/account/identities/:id/unlink", hidden, async (request, reply) => {
    const call = signedInFor(request, reply);
    return call === null ? reply : withStepUp(call, "identity-unlink", { id: param(request, "id") });
  });

  app.post("/account/api-keys", hidden, async (request, reply) => {
    const call = signedInFor(request, reply);
    if (call === null) return reply;
    const form = formBody(request);
    // Checkboxes (one field per offered scope) and the free text become one `scopes` list.
    const scopes = [
      ...offered(call.signedIn).filter((scope) => form[scopeFieldName(scope)] === "on"),
      ...(textField(form, "otherScopes") ?? "").split(/\s+/),
    ].filter((scope) => scope !== "");
    const input = pick({ ...form, scopes: scopes.join(" ") }, acts["api-key-create"].carry);
    // A form that cannot succeed is answered before the step-up is asked for.
    const parsed = parseApiKeyInput(call, input);
    if (!parsed.ok) {
      const { t } = pageContext(request);
      return respond.render(
        call,
        inSection("api-keys", {
          error: t.errors.validation_failed,
          fieldErrors: parsed.fieldErrors,
          values: apiKeyValues(input, offered(call.signedIn)),
        }),
        400,
      );
    }
    return withStepUp(call, "api-key-create", input);
  });

  // As DELETE /v1/api-keys/:id: the session alone.
  app.post("/account/api-keys/:id/revoke", hidden, async (request, reply) => {
    const call = signedInFor(request, reply);
    if (call === null) return reply;
    if (
      await deps.apiKeys.revokeApiKey(call.signedIn.user.id, param(request, "id"), clientContext(request))
    ) {
      return seeOther(reply, doneUrl("api-key-revoked"));
    }
    const { t } = pageContext(request);
    return respond.render(call, inSection("api-keys", { error: t.account.apiKeys.notFound }), 404);
  });

  // "Connected apps": withdrawing a consent needs the session alone, like revoking a device.
  app.post("/account/apps/:clientId/remove", hidden, async (request, reply) => {
    const call = signedInFor(request, reply);
    if (call === null) return reply;
    await deps.openId?.disconnectApp(call.signedIn.user.id, param(request, "clientId"));
    return seeOther(reply, doneUrl("app-disconnected"));
  });

  app.post("/account/delete", hidden, async (request, reply) => {
    const call = signedInFor(request, reply);
    if (call === null) return reply;
    const form = formBody(request);
    if (form.confirm !== "on") return acts["delete-account"].run(call, form);
    return withStepUp(call, "delete-account", { confirm: "on" });
  });

  // The step-up form: renew the sign-in (password or a second-factor code), then carry on.
  app.post("/account/reauthenticate", hidden, async (request, reply) => {
    const call = signedInFor(request, reply);
    if (call === null) return reply;
    const { t } = pageContext(request);
    const form = formBody(request);
    const action = textField(form, "action");
    if (!isAction(action)) throw new ProblemError("validation_failed");
    const act = acts[action];
    const carried = pick(form, act.carry);
    const again = (error: string, status: number) =>
      respond.render(call, inSection(act.section, { stepUp: { action, carry: carried, error } }), status);
    const code = textField(form, "code")?.replace(/\s+/g, "");
    const password = rawField(form, "password");
    if (code === undefined && password === undefined) return again(t.account.stepUp.missing, 400);
    const outcome = await deps.reauthentication.reauthenticate(
      {
        userId: call.signedIn.user.id,
        sessionId: call.signedIn.sessionId,
        ...(code === undefined ? { password: password ?? "" } : { code }),
      },
      clientContext(request),
    );
    if (!outcome.ok) {
      switch (outcome.code) {
        case "invalid_credentials":
          return again(t.account.stepUp.wrongPassword, 401);
        case "invalid_mfa_code":
          return again(t.errors.invalid_mfa_code, 401);
        case "rate_limited":
          return again(rateLimited(call, outcome.retryAfterSeconds), 429);
        case "session_ended":
          clearSessionCookie(reply, config.secureCookies);
          return seeOther(reply, `/login?redirectTo=${encodeURIComponent("/account")}`);
      }
    }
    // A cookie session gets a new secret with its new auth_time (like a sign-in); the id stays.
    if (!("cookie" in outcome)) throw new Error("a page session is a cookie session");
    setSessionCookie(reply, outcome.cookie, config.secureCookies);
    const renewed: ActCall = {
      request,
      reply,
      signedIn: { ...call.signedIn, authTime: outcome.cookie.session.authTime },
    };
    return (act.resume ?? act.run)(renewed, carried);
  });

  // A sub-path opened directly (a bookmark of a form's answer): the page itself.
  app.get("/account/*", hidden, async (_request, reply) => seeOther(reply, "/account"));
};
