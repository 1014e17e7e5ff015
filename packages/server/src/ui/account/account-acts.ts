/**
 * The account page's acts that need a recent sign-in (step-up), each a thin adapter over the
 * service its JSON route calls (`/v1/me/password`, `/v1/me/email`, `/v1/mfa/*`,
 * `/v1/webauthn/credentials/:id`, `/v1/me/identities/:id`, `/v1/api-keys`, `DELETE /v1/me`):
 * parse, call one service, map the outcome to a redirect with a notice or to the page again with
 * the error in words.
 *
 * When the sign-in is not recent, the page shows the step-up form in the act's section instead,
 * carrying the act's non-secret fields; `/account/reauthenticate` then renews the sign-in and
 * resumes the act with them. Acts whose input is a secret (a password, a code) are not carried:
 * they resume by asking for it again.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { SCOPE_PATTERN } from "../../domain/authz/scopes.js";
import { clientContext } from "../../http/client-context.js";
import { ProblemError } from "../../http/problem.js";
import { clearSessionCookie } from "../../http/session-cookie.js";
import type { PageDeps, PageSession } from "../page-context.js";
import { type FormBody, pageContext, rateLimitedMessage, rawField, seeOther, textField } from "../render.js";
import { weaknessesInWords } from "../sign-up/password-field.js";
import { EMAIL_MAX_LENGTH } from "../sign-up/register-page.js";
import { type DoneKey, doneUrl } from "./account-notices.js";
import type { AccountState, SectionId, SectionState, StepUpAction } from "./account-view.js";
import { API_KEY_NAME_MAX_LENGTH } from "./api-keys-section.js";
import { linkStartUrl } from "./connected-accounts-section.js";
import type { ShownOnce } from "./shown-once.js";

/** One request being answered. `signedIn` is renewed after a step-up within the same request. */
export interface ActCall {
  request: FastifyRequest;
  reply: FastifyReply;
  signedIn: PageSession;
}

export interface AccountResponder {
  /** The account page again, with `state`, at `status`. */
  render(call: ActCall, state: AccountState, status: number): Promise<FastifyReply>;
}

export interface Act {
  section: SectionId;
  /** Fields kept through the step-up: never a secret. */
  carry: readonly string[];
  run(call: ActCall, input: FormBody): Promise<FastifyReply>;
  /** After the step-up; `run` with the carried fields unless given. */
  resume?(call: ActCall, carried: FormBody): Promise<FastifyReply>;
}

/** At most this many scopes on a key, as `POST /v1/api-keys` allows. */
const MAX_SCOPES = 32;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** Spaces people type inside codes ("123 456"). */
const compact = (value: string | undefined) => value?.replace(/\s+/g, "");

/** The page with one section's state; the helper every failure uses. */
export function inSection(section: SectionId, state: SectionState): AccountState {
  return { sections: { [section]: state } };
}

/** The fields named in `names` (the non-empty ones) of `form`. */
export function pick(form: FormBody, names: readonly string[]): FormBody {
  const picked = Object.create(null) as FormBody;
  for (const name of names) {
    const value = form[name];
    if (value !== undefined && value !== "") picked[name] = value;
  }
  return picked;
}

/** The rate-limit answer: the wait in words, and `Retry-After`. */
export function rateLimited(call: ActCall, retryAfterSeconds: number): string {
  call.reply.header("retry-after", String(retryAfterSeconds));
  return rateLimitedMessage(pageContext(call.request).t, retryAfterSeconds);
}

export interface ApiKeyInput {
  name: string;
  scopes: string[];
  /** Epoch ms at the end of the chosen day (UTC), or null. */
  expiresAt: number | null;
}

/**
 * The API key form (`name`, `scopes` space-separated, `expires` as YYYY-MM-DD) checked as
 * `POST /v1/api-keys` checks its body; field errors in words otherwise.
 */
export function parseApiKeyInput(
  call: ActCall,
  input: FormBody,
): { ok: true; value: ApiKeyInput } | { ok: false; fieldErrors: Record<string, string> } {
  const words = pageContext(call.request).t.account.apiKeys;
  const fieldErrors: Record<string, string> = {};
  const name = textField(input, "name") ?? "";
  if (name === "") fieldErrors.name = words.nameMissing;
  else if (name.length > API_KEY_NAME_MAX_LENGTH)
    fieldErrors.name = words.nameTooLong(API_KEY_NAME_MAX_LENGTH);
  const scopes = [...new Set((textField(input, "scopes") ?? "").split(/\s+/).filter((s) => s !== ""))];
  const badScope = scopes.find((scope) => !SCOPE_PATTERN.test(scope));
  if (badScope !== undefined) fieldErrors.otherScopes = words.badScope(badScope);
  else if (scopes.length > MAX_SCOPES) fieldErrors.otherScopes = words.tooManyScopes(MAX_SCOPES);
  let expiresAt: number | null = null;
  const expires = textField(input, "expires");
  if (expires !== undefined) {
    const match = ISO_DATE.exec(expires);
    const [year, month, day] = match === null ? [] : [Number(match[1]), Number(match[2]), Number(match[3])];
    const start = year === undefined ? Number.NaN : Date.UTC(year, (month ?? 1) - 1, day ?? 1);
    // A real calendar day only (no 31 February), kept until that day ends.
    if (Number.isNaN(start) || new Date(start).getUTCDate() !== day) fieldErrors.expires = words.badDate;
    else expiresAt = start + 24 * 3600 * 1000;
  }
  if (Object.keys(fieldErrors).length > 0) return { ok: false, fieldErrors };
  return { ok: true, value: { name, scopes, expiresAt } };
}

/** The page's values of an API key form, to show it again (never the key). */
export function apiKeyValues(input: FormBody, offered: readonly string[]): Record<string, string> {
  const scopes = (textField(input, "scopes") ?? "").split(/\s+/).filter((s) => s !== "");
  return {
    name: textField(input, "name") ?? "",
    scopes: scopes.filter((scope) => offered.includes(scope)).join(" "),
    otherScopes: scopes.filter((scope) => !offered.includes(scope)).join(" "),
    expires: textField(input, "expires") ?? "",
  };
}

export function createAccountActs(
  deps: PageDeps,
  shown: ShownOnce,
  respond: AccountResponder,
  offeredScopes: (signedIn: PageSession) => readonly string[],
): Record<StepUpAction, Act> {
  const { config } = deps;
  const done = (call: ActCall, key: DoneKey) => seeOther(call.reply, doneUrl(key));
  const t = (call: ActCall) => pageContext(call.request).t;
  const fail = (call: ActCall, section: SectionId, state: SectionState, status: number) =>
    respond.render(call, inSection(section, state), status);

  return {
    password: {
      section: "password",
      carry: [],
      async run(call, input) {
        const words = t(call).account.password;
        const newPassword = rawField(input, "newPassword");
        if (newPassword === undefined) {
          return fail(call, "password", { error: words.newMissing }, 400);
        }
        const outcome = await deps.users.changePassword(
          {
            userId: call.signedIn.user.id,
            sessionId: call.signedIn.sessionId,
            currentPassword: rawField(input, "currentPassword"),
            newPassword,
          },
          clientContext(call.request),
        );
        if (outcome.ok) return done(call, "password-changed");
        switch (outcome.code) {
          case "invalid_credentials":
            return fail(
              call,
              "password",
              { error: words.wrongCurrent, fieldErrors: { currentPassword: words.wrongCurrent } },
              401,
            );
          case "weak_password":
            return fail(
              call,
              "password",
              {
                error: t(call).errors.weak_password,
                weaknesses: weaknessesInWords(t(call), outcome.weaknesses),
              },
              400,
            );
          case "rate_limited":
            return fail(call, "password", { error: rateLimited(call, outcome.retryAfterSeconds) }, 429);
        }
      },
      // The passwords are not carried: the person types them again, now that it is confirmed.
      resume: async (call) => done(call, "confirmed-password"),
    },

    email: {
      section: "email",
      carry: ["newEmail"],
      async run(call, input) {
        const words = t(call).account.email;
        const newEmail = textField(input, "newEmail") ?? "";
        const invalid = (message: string) =>
          fail(
            call,
            "email",
            { error: message, fieldErrors: { newEmail: message }, values: { newEmail } },
            400,
          );
        if (newEmail === "" || newEmail.length > EMAIL_MAX_LENGTH) return invalid(words.invalid);
        const outcome = await deps.emailChange.requestEmailChange(
          { userId: call.signedIn.user.id, newEmail },
          clientContext(call.request),
        );
        // The same notice whether or not the address has an account: the page tells nobody.
        if (outcome.ok) return done(call, "email-change-sent");
        switch (outcome.code) {
          case "invalid_email":
            return invalid(words.invalid);
          case "same_email":
            return invalid(words.same);
          case "unknown_user":
            throw new ProblemError("unauthenticated");
          case "rate_limited":
            return fail(
              call,
              "email",
              { error: rateLimited(call, outcome.retryAfterSeconds), values: { newEmail } },
              429,
            );
        }
      },
    },

    "totp-setup": {
      section: "two-factor",
      carry: [],
      async run(call) {
        const outcome = await deps.mfa.setupTotp(call.signedIn.user);
        if (!outcome.ok) {
          return fail(call, "two-factor", { error: t(call).errors.mfa_already_enabled }, 409);
        }
        await shown.putSetup(call.signedIn.sessionId, { secret: outcome.secret, qrCode: outcome.qrCode });
        return seeOther(call.reply, "/account?step=totp-setup#two-factor");
      },
    },

    "totp-disable": {
      section: "two-factor",
      carry: [],
      async run(call, input) {
        const words = t(call).account.twoFactor;
        const code = compact(textField(input, "code"));
        const password = rawField(input, "password");
        const failed = (error: string, status: number) =>
          fail(call, "two-factor", { error, open: "totp-disable" }, status);
        if (code === undefined && password === undefined) return failed(words.proofMissing, 400);
        const outcome = await deps.mfa.disableTotp(
          call.signedIn.user.id,
          code === undefined ? { password: password ?? "" } : { code },
          clientContext(call.request),
        );
        if (outcome.ok) return done(call, "totp-disabled");
        switch (outcome.code) {
          case "invalid_mfa_code":
            return failed(t(call).errors.invalid_mfa_code, 401);
          case "invalid_credentials":
            return failed(words.wrongPassword, 401);
          case "mfa_not_enabled":
            return fail(call, "two-factor", { error: t(call).errors.mfa_not_enabled }, 409);
          case "rate_limited":
            return failed(rateLimited(call, outcome.retryAfterSeconds), 429);
        }
      },
      resume: async (call) => done(call, "confirmed-totp-disable"),
    },

    "backup-codes": {
      section: "two-factor",
      carry: [],
      async run(call, input) {
        const words = t(call).account.twoFactor;
        const code = compact(textField(input, "code"));
        const failed = (error: string, status: number) =>
          fail(call, "two-factor", { error, open: "backup-codes" }, status);
        if (code === undefined) return failed(words.codeMissing, 400);
        const outcome = await deps.mfa.regenerateBackupCodes(
          call.signedIn.user.id,
          code,
          clientContext(call.request),
        );
        if (outcome.ok) {
          await shown.putReveal(call.signedIn.sessionId, {
            kind: "backup-codes",
            codes: outcome.backupCodes,
          });
          return done(call, "backup-codes");
        }
        switch (outcome.code) {
          case "invalid_mfa_code":
            return failed(t(call).errors.invalid_mfa_code, 401);
          case "mfa_not_enabled":
            return fail(call, "two-factor", { error: t(call).errors.mfa_not_enabled }, 409);
          case "rate_limited":
            return failed(rateLimited(call, outcome.retryAfterSeconds), 429);
        }
      },
      resume: async (call) => done(call, "confirmed-backup-codes"),
    },

    // The ceremony runs in the browser (client/account.ts); the server only sees this form when the
    // script asks for the step-up, or when there is no script at all.
    "passkey-add": {
      section: "passkeys",
      carry: [],
      run: (call) => fail(call, "passkeys", { error: t(call).account.passkeys.needsScript }, 400),
      resume: async (call) => done(call, "confirmed-passkey"),
    },

    "passkey-remove": {
      section: "passkeys",
      carry: ["id"],
      async run(call, input) {
        const outcome = await deps.webauthn.removeCredential(
          call.signedIn.user.id,
          textField(input, "id") ?? "",
          clientContext(call.request),
        );
        if (outcome === "removed") return done(call, "passkey-removed");
        if (outcome === "last_sign_in_method") {
          return fail(call, "passkeys", { error: t(call).errors.last_sign_in_method }, 409);
        }
        return fail(call, "passkeys", { error: t(call).account.passkeys.notFound }, 404);
      },
    },

    "identity-link": {
      section: "connected-accounts",
      carry: ["provider"],
      async run(call, input) {
        const provider = textField(input, "provider") ?? "";
        if (!deps.socialLogin.providerIds.includes(provider)) throw new ProblemError("not_found");
        // The provider flow checks the step-up again, on the session cookie.
        return seeOther(call.reply, linkStartUrl(config.publicUrl, provider));
      },
      // Not straight on to the provider: a form's redirects may not leave this origin (CSP
      // form-action), so the page comes back with the links, which now go to the provider.
      resume: async (call) => done(call, "confirmed-link"),
    },

    "identity-unlink": {
      section: "connected-accounts",
      carry: ["id"],
      async run(call, input) {
        const outcome = await deps.identities.unlinkIdentity(
          call.signedIn.user.id,
          textField(input, "id") ?? "",
          clientContext(call.request),
        );
        if (outcome === "unlinked") return done(call, "identity-unlinked");
        if (outcome === "last_sign_in_method") {
          return fail(call, "connected-accounts", { error: t(call).errors.last_sign_in_method }, 409);
        }
        return fail(call, "connected-accounts", { error: t(call).account.connected.notFound }, 404);
      },
    },

    "api-key-create": {
      section: "api-keys",
      carry: ["name", "scopes", "expires"],
      async run(call, input) {
        const words = t(call).account.apiKeys;
        const values = apiKeyValues(input, offeredScopes(call.signedIn));
        const parsed = parseApiKeyInput(call, input);
        if (!parsed.ok) {
          return fail(
            call,
            "api-keys",
            { error: t(call).errors.validation_failed, fieldErrors: parsed.fieldErrors, values },
            400,
          );
        }
        const outcome = await deps.apiKeys.createApiKey(
          call.signedIn.user.id,
          parsed.value,
          clientContext(call.request),
        );
        if (outcome.ok) {
          await shown.putReveal(call.signedIn.sessionId, {
            kind: "api-key",
            key: outcome.key,
            name: outcome.apiKey.name,
          });
          return done(call, "api-key-created");
        }
        if (outcome.code === "scope_not_allowed") {
          return fail(
            call,
            "api-keys",
            { error: words.scopeNotAllowed(outcome.scopes.join(", ")), values },
            403,
          );
        }
        return fail(
          call,
          "api-keys",
          {
            error: t(call).errors.validation_failed,
            fieldErrors: { expires: words.expiresInPast },
            values,
          },
          400,
        );
      },
    },

    "delete-account": {
      section: "delete-account",
      carry: ["confirm"],
      async run(call, input) {
        if (input.confirm !== "on") {
          const message = t(call).account.deleteAccount.confirmMissing;
          return fail(call, "delete-account", { error: message, fieldErrors: { confirm: message } }, 400);
        }
        const outcome = await deps.accountDeletion.deleteOwnAccount(
          call.signedIn.user.id,
          clientContext(call.request),
        );
        if (!outcome.ok && outcome.code === "last_admin") {
          return fail(call, "delete-account", { error: t(call).errors.last_admin }, 409);
        }
        // Deleted (or already gone): the session it had is over.
        clearSessionCookie(call.reply, config.secureCookies);
        return seeOther(call.reply, "/login?signedOut=1");
      },
    },
  };
}
