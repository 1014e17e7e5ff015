/** `/forgot-password`: ask for a reset link, and the answer, which is the same for every address. */
import { CsrfField, ErrorAlert, Field } from "../components/form.js";
import { Layout } from "../components/layout.js";
import type { PageContext } from "../page-context.js";
import { EMAIL_MAX_LENGTH } from "../sign-up/register-page.js";
import { MessagePage } from "./message-page.js";

export interface ForgotPasswordPageProps {
  ctx: PageContext;
  email?: string | undefined;
  error?: string | undefined;
  emailError?: string | undefined;
}

export function ForgotPasswordPage({ ctx, email, error, emailError }: ForgotPasswordPageProps) {
  const { t } = ctx;
  return (
    <Layout ctx={ctx} title={t.recovery.forgotTitle} width="narrow">
      <h1>{t.recovery.forgotTitle}</h1>
      <ErrorAlert message={error} />
      <div class="card">
        <form method="post" action="/forgot-password" class="stack tight" novalidate>
          <CsrfField ctx={ctx} />
          <p>{t.recovery.forgotIntro}</p>
          <Field
            id="email"
            name="email"
            type="email"
            label={t.common.email}
            value={email}
            autocomplete="email"
            required
            autofocus
            maxLength={EMAIL_MAX_LENGTH}
            error={emailError}
          />
          <button type="submit">{t.recovery.sendLink}</button>
        </form>
      </div>
      <p class="links">
        <a href="/login">{t.common.backToSignIn}</a>
      </p>
    </Layout>
  );
}

/** The answer to every request: nothing in it depends on whether the address has an account. */
export function ForgotSentPage({ ctx, lifetime }: { ctx: PageContext; lifetime: string }) {
  const { t } = ctx;
  return (
    <MessagePage ctx={ctx} title={t.recovery.forgotSentTitle} notice={t.recovery.forgotSentBody(lifetime)}>
      <p class="muted">
        {t.recovery.forgotSentHelp} <a href="/forgot-password">{t.recovery.askAgain}</a>.
      </p>
      <p>
        <a href="/login">{t.common.backToSignIn}</a>
      </p>
    </MessagePage>
  );
}
