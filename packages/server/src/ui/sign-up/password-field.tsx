/**
 * The field where a person chooses a password (sign-up and reset), with its feedback: the rules
 * as a hint, the reasons a submitted password was refused (from the policy's `weaknesses`, so it
 * works without JavaScript), and a polite live region that `client/password-feedback.ts` fills
 * while they type. The script asks `POST /register/password-check` for the breached-password
 * verdict, which only the server's list can give.
 */
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "../../domain/passwords/password-policy.js";
import type { Messages } from "../i18n/catalogue.js";
import type { PageContext } from "../page-context.js";

export const PASSWORD_CHECK_PATH = "/register/password-check";

/** The policy's reasons in words, in the order given. */
export function weaknessesInWords(t: Messages, weaknesses: readonly string[]): string[] {
  return weaknesses.map((code) => t.passwordRules[code] ?? t.errors.weak_password);
}

export interface PasswordFieldProps {
  ctx: PageContext;
  id: string;
  name: string;
  label: string;
  /** Reasons the last submitted password was refused, in words. */
  errors: string[];
  /** The id of the email input whose value the password must not equal, if the form has one. */
  emailFieldId?: string;
  autofocus?: boolean;
}

export function PasswordField({ ctx, id, name, label, errors, emailFieldId, autofocus }: PasswordFieldProps) {
  const { t } = ctx;
  const describedBy = [`${id}-hint`, errors.length > 0 ? `${id}-error` : null, `${id}-feedback`]
    .filter((part) => part !== null)
    .join(" ");
  const messages = { ...t.passwordRules, ok: t.register.passwordOk };
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <span class="hint" id={`${id}-hint`}>
        {t.register.passwordHint}
      </span>
      <input
        id={id}
        name={name}
        type="password"
        autocomplete="new-password"
        required
        autofocus={autofocus}
        aria-invalid={errors.length > 0 ? "true" : undefined}
        aria-describedby={describedBy}
        data-password-feedback={`${id}-feedback`}
        data-check-url={PASSWORD_CHECK_PATH}
        data-email-field={emailFieldId}
        data-min-length={String(PASSWORD_MIN_LENGTH)}
        data-max-length={String(PASSWORD_MAX_LENGTH)}
        data-messages={JSON.stringify(messages)}
      />
      {errors.length > 0 ? (
        <span class="field-error" id={`${id}-error`}>
          {errors.join(" ")}
        </span>
      ) : null}
      <div class="password-feedback" id={`${id}-feedback`} aria-live="polite" />
    </div>
  );
}
