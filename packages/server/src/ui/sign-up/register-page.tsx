/**
 * `/register`: email, password (with live feedback) and an optional name; and the "check your
 * email" page shown when the account must confirm its address before it can sign in.
 */
import { CsrfField, ErrorAlert, Field } from "../components/form.js";
import { Layout } from "../components/layout.js";
import type { PageContext } from "../page-context.js";
import { PasswordField } from "./password-field.js";

/** The longest email and name `POST /v1/auth/register` accepts. */
export const EMAIL_MAX_LENGTH = 320;
export const NAME_MAX_LENGTH = 200;

export interface RegisterPageProps {
  ctx: PageContext;
  redirectTo: string | undefined;
  email?: string | undefined;
  name?: string | undefined;
  /** The error in words, for the alert at the top. */
  error?: string | undefined;
  /** Details listed under it (the password's reasons). */
  details?: string[];
  emailError?: string | undefined;
  nameError?: string | undefined;
  passwordErrors?: string[];
  /** The address is taken: offer to sign in or reset the password. */
  offerSignIn?: boolean;
}

export function RegisterPage(props: RegisterPageProps) {
  const { ctx, redirectTo, email, name, error, details = [], passwordErrors = [] } = props;
  const { t } = ctx;
  const signInHref =
    redirectTo === undefined ? "/login" : `/login?redirectTo=${encodeURIComponent(redirectTo)}`;
  return (
    <Layout
      ctx={ctx}
      title={t.register.title}
      width="narrow"
      scripts={[ctx.assets.url("password-feedback.js")]}
    >
      <h1>{t.register.heading(ctx.productName)}</h1>
      <ErrorAlert message={error} details={details} />
      {props.offerSignIn === true ? (
        <p class="actions">
          <a class="button secondary" href={signInHref}>
            {t.register.signIn}
          </a>
          <a href="/forgot-password">{t.register.forgotPassword}</a>
        </p>
      ) : null}
      <div class="card">
        <form method="post" action="/register" class="stack tight" novalidate>
          <CsrfField ctx={ctx} />
          {redirectTo === undefined ? null : <input type="hidden" name="redirectTo" value={redirectTo} />}
          <Field
            id="email"
            name="email"
            type="email"
            label={t.common.email}
            value={email}
            autocomplete="email"
            required
            maxLength={EMAIL_MAX_LENGTH}
            error={props.emailError}
            autofocus={!(passwordErrors.length > 0 && props.emailError === undefined)}
          />
          <PasswordField
            ctx={ctx}
            id="password"
            name="password"
            label={t.common.password}
            errors={passwordErrors}
            emailFieldId="email"
            autofocus={passwordErrors.length > 0 && props.emailError === undefined}
          />
          <Field
            id="name"
            name="name"
            label={t.common.name}
            value={name}
            autocomplete="name"
            hint={t.register.nameHint}
            maxLength={NAME_MAX_LENGTH}
            error={props.nameError}
          />
          <button type="submit">{t.register.submit}</button>
        </form>
      </div>
      <p class="links">
        <span>
          {t.register.haveAccount} <a href={signInHref}>{t.register.signIn}</a>
        </span>
      </p>
    </Layout>
  );
}

/** After registering when the address must be confirmed first (or when every answer must look alike). */
export function CheckEmailPage({ ctx }: { ctx: PageContext }) {
  const { t } = ctx;
  return (
    <Layout ctx={ctx} title={t.register.checkEmailTitle} width="narrow">
      <h1>{t.register.checkEmailTitle}</h1>
      <div class="card stack tight">
        <p>{t.register.checkEmailBody}</p>
        <p class="muted">{t.register.checkEmailHelp}</p>
      </div>
      <p>
        <a href="/login">{t.common.backToSignIn}</a>
      </p>
    </Layout>
  );
}
