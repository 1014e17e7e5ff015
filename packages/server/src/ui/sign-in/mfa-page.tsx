/**
 * `/login/mfa`: the second factor — a TOTP or backup code, or a passkey when the account has one.
 * The passkey needs the page's script (client/sign-in.ts): it fetches the ceremony's options from
 * `/login/mfa/passkey-options` and submits the assertion through the hidden `webauthn` field of
 * the passkey form below, so the mfaToken never leaves its HttpOnly cookie.
 */
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
  const redirectField =
    redirectTo === undefined ? null : <input type="hidden" name="redirectTo" value={redirectTo} />;
  return (
    <Layout ctx={ctx} title={t.mfa.title} width="narrow" scripts={[ctx.assets.url("sign-in.js")]}>
      <h1>{t.mfa.heading}</h1>
      <ErrorAlert message={error} />
      <div class="card">
        <p class="mfa-intro">{t.mfa.intro}</p>
        <form method="post" action="/login/mfa" class="stack" novalidate>
          <CsrfField ctx={ctx} />
          {redirectField}
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
          // Shown by the script where the browser can use passkeys; else it says why not.
          <div class="js-only passkey-area" id="passkey-area" hidden>
            <div class="divider">{t.signIn.or}</div>
            <form method="post" action="/login/mfa" id="passkey-form" class="passkey-area">
              <CsrfField ctx={ctx} />
              {redirectField}
              <input type="hidden" name="webauthn" value="" />
              <button
                type="button"
                class="secondary"
                id="passkey-second-factor"
                data-error={t.mfa.passkeyFailed}
              >
                {t.mfa.usePasskey}
              </button>
            </form>
            <div id="passkey-status" />
          </div>
        ) : null}
        {hasPasskey ? (
          <p class="js-only muted" id="passkey-unsupported" hidden>
            {t.mfa.passkeyUnsupported}
          </p>
        ) : null}
      </div>
      <div class="links">
        <a href="/login">{t.mfa.startOver}</a>
      </div>
    </Layout>
  );
}
