/** `/login/mfa`: the second factor — a TOTP or backup code, or a passkey when the account has one. */
import { CsrfField, ErrorAlert, Field } from "../components/form.js";
import { Layout } from "../components/layout.js";
import type { PageContext } from "../page-context.js";

export interface MfaPageProps {
  ctx: PageContext;
  redirectTo: string | undefined;
  hasPasskey: boolean;
  error: string | undefined;
}

export function MfaPage({ ctx, redirectTo, hasPasskey, error }: MfaPageProps) {
  const { t } = ctx;
  return (
    <Layout ctx={ctx} title={t.mfa.title} width="narrow" scripts={[ctx.assets.url("sign-in.js")]}>
      <h1>{t.mfa.heading}</h1>
      <ErrorAlert message={error} />
      <div class="card">
        <p>{t.mfa.intro}</p>
        <form method="post" action="/login/mfa" class="stack" novalidate>
          <CsrfField ctx={ctx} />
          {redirectTo === undefined ? null : <input type="hidden" name="redirectTo" value={redirectTo} />}
          <Field
            id="code"
            name="code"
            label={t.mfa.code}
            autocomplete="one-time-code"
            required
            autofocus
            maxLength={64}
          />
          <button type="submit">{t.mfa.verify}</button>
        </form>
        {hasPasskey ? (
          <>
            <div class="divider">{t.signIn.or}</div>
            <button
              type="button"
              class="secondary"
              id="passkey-second-factor"
              data-redirect={redirectTo ?? ""}
              data-error={t.signIn.passkeyFailed}
              data-unsupported={t.signIn.passkeyUnsupported}
            >
              {t.mfa.usePasskey}
            </button>
            <p id="passkey-status" class="muted" role="status" />
          </>
        ) : null}
      </div>
      <div class="links">
        <a href="/login">{t.mfa.startOver}</a>
      </div>
    </Layout>
  );
}
