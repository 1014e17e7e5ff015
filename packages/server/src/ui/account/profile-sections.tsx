/**
 * The account page's first three sections: the profile (the name), the password (current and
 * new; the refusal's reasons in words) and the email address (verified or not, a new
 * verification link, a change confirmed by a link to the new address).
 */
import { CsrfField, Field } from "../components/form.js";
import type { PageContext } from "../page-context.js";
import { PasswordField } from "../sign-up/password-field.js";
import { EMAIL_MAX_LENGTH, NAME_MAX_LENGTH } from "../sign-up/register-page.js";
import { DateTime, Section } from "./account-parts.js";
import type { AccountData, SectionState } from "./account-view.js";

interface SectionArgs {
  ctx: PageContext;
  data: AccountData;
  state: SectionState | undefined;
}

export function ProfileSection({ ctx, data, state }: SectionArgs) {
  const words = ctx.t.account.profile;
  return (
    <Section ctx={ctx} id="profile" title={words.heading} data={data} state={state}>
      <p class="muted">
        {words.memberSince} <DateTime ctx={ctx} ms={data.user.createdAt} dateOnly />
      </p>
      <form method="post" action="/account/profile" class="stack">
        <CsrfField ctx={ctx} />
        <Field
          id="profile-name"
          name="name"
          label={words.name}
          value={state?.values?.name ?? data.user.name ?? ""}
          autocomplete="name"
          hint={words.nameHint}
          error={state?.fieldErrors?.name}
          maxLength={NAME_MAX_LENGTH}
        />
        <div class="actions">
          <button type="submit">{words.save}</button>
        </div>
      </form>
    </Section>
  );
}

export function PasswordSection({ ctx, data, state }: SectionArgs) {
  const words = ctx.t.account.password;
  return (
    <Section ctx={ctx} id="password" title={words.heading} data={data} state={state}>
      <form method="post" action="/account/password" class="stack">
        <CsrfField ctx={ctx} />
        {/* For password managers, and for the feedback script to warn when the new password is the address. */}
        <input
          type="text"
          id="password-email"
          hidden
          readOnly
          autocomplete="username"
          value={data.user.email}
        />
        <Field
          id="password-current"
          name="currentPassword"
          type="password"
          label={words.current}
          hint={words.currentHint}
          autocomplete="current-password"
          error={state?.fieldErrors?.currentPassword}
        />
        <PasswordField
          ctx={ctx}
          id="password-new"
          name="newPassword"
          label={words.new}
          errors={state?.weaknesses ?? []}
          emailFieldId="password-email"
        />
        <div class="actions">
          <button type="submit">{words.submit}</button>
        </div>
      </form>
    </Section>
  );
}

/** `offerResend` is off while the page's welcome notice already offers it. */
export function EmailSection({ ctx, data, state, offerResend }: SectionArgs & { offerResend: boolean }) {
  const words = ctx.t.account.email;
  const { user } = data;
  return (
    <Section ctx={ctx} id="email" title={words.heading} data={data} state={state}>
      <p>
        {words.current} <strong>{user.email}</strong>{" "}
        <span class={user.emailVerified ? "badge" : "badge warning"}>
          {user.emailVerified ? words.verified : words.unverified}
        </span>
      </p>
      {user.emailVerified ? null : (
        <div class="info stack">
          <p>{words.unverifiedHint}</p>
          {offerResend ? (
            <form method="post" action="/account/email/resend">
              <CsrfField ctx={ctx} />
              <button type="submit" class="secondary">
                {words.resend}
              </button>
            </form>
          ) : null}
        </div>
      )}
      <form method="post" action="/account/email" class="stack">
        <CsrfField ctx={ctx} />
        <Field
          id="email-new"
          name="newEmail"
          type="email"
          label={words.new}
          hint={words.newHint}
          value={state?.values?.newEmail}
          autocomplete="email"
          required
          maxLength={EMAIL_MAX_LENGTH}
          error={state?.fieldErrors?.newEmail}
        />
        <div class="actions">
          <button type="submit">{words.submit}</button>
        </div>
      </form>
    </Section>
  );
}
