/**
 * `/reset-password?token=…`: choose a new password. The token came in the link; the form carries
 * it on in a hidden field (a POST body, which is never logged), so a refused password keeps it.
 */
import { CsrfField, ErrorAlert } from "../components/form.js";
import { Layout } from "../components/layout.js";
import type { PageContext } from "../page-context.js";
import { PasswordField } from "../sign-up/password-field.js";
import { MessagePage } from "./message-page.js";

export interface ResetPasswordPageProps {
  ctx: PageContext;
  token: string;
  error?: string | undefined;
  details?: string[];
  passwordErrors?: string[];
}

export function ResetPasswordPage({
  ctx,
  token,
  error,
  details = [],
  passwordErrors = [],
}: ResetPasswordPageProps) {
  const { t } = ctx;
  return (
    <Layout
      ctx={ctx}
      title={t.recovery.resetTitle}
      width="narrow"
      scripts={[ctx.assets.url("password-feedback.js")]}
    >
      <h1>{t.recovery.resetTitle}</h1>
      <ErrorAlert message={error} details={details} />
      <div class="card">
        <form method="post" action="/reset-password" class="stack tight" novalidate>
          <CsrfField ctx={ctx} />
          <input type="hidden" name="token" value={token} />
          <p>{t.recovery.resetIntro}</p>
          <PasswordField
            ctx={ctx}
            id="new-password"
            name="password"
            label={t.recovery.newPassword}
            errors={passwordErrors}
            autofocus
          />
          <button type="submit">{t.recovery.setPassword}</button>
        </form>
      </div>
    </Layout>
  );
}

/** No token, or one that was used, expired or replaced: say so, and offer a new link. */
export function ResetLinkInvalidPage({ ctx, message }: { ctx: PageContext; message: string }) {
  const { t } = ctx;
  return (
    <MessagePage ctx={ctx} title={t.recovery.resetTitle} error={message}>
      <p class="actions">
        <a class="button" href="/forgot-password">
          {t.recovery.askNewLink}
        </a>
        <a href="/login">{t.common.backToSignIn}</a>
      </p>
    </MessagePage>
  );
}

/** The password is changed; every session ended and nobody was signed in. */
export function ResetDonePage({ ctx }: { ctx: PageContext }) {
  const { t } = ctx;
  return (
    <MessagePage ctx={ctx} title={t.recovery.resetDoneTitle} notice={t.recovery.resetDoneBody}>
      <p>
        <a class="button" href="/login">
          {t.recovery.signIn}
        </a>
      </p>
    </MessagePage>
  );
}
