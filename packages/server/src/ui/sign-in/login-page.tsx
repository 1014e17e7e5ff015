/**
 * `/login`: email and password, "Remember me", a passkey (button, and autofill on the email field;
 * client/sign-in.ts), and a "Continue with …" link per social provider.
 */
import { CsrfField, ErrorAlert, Field, Notice } from "../components/form.js";
import { Layout } from "../components/layout.js";
import type { PageContext } from "../page-context.js";

export interface LoginPageProps {
  ctx: PageContext;
  providers: { id: string; name: string }[];
  redirectTo: string | undefined;
  email?: string;
  rememberMe?: boolean;
  error?: string;
  notice?: string;
}

export function LoginPage({ ctx, providers, redirectTo, email, rememberMe, error, notice }: LoginPageProps) {
  const { t } = ctx;
  // Social login comes back to /login, which sends a signed-in browser on to `redirectTo`.
  const back = `${redirectTo === undefined ? "/login" : `/login?redirectTo=${encodeURIComponent(redirectTo)}`}`;
  return (
    <Layout ctx={ctx} title={t.signIn.title} width="narrow" scripts={[ctx.assets.url("sign-in.js")]}>
      <h1>{t.signIn.heading(ctx.productName)}</h1>
      {notice === undefined ? null : (
        <Notice>
          <p>{notice}</p>
        </Notice>
      )}
      <ErrorAlert message={error} />
      <div class="card">
        <form method="post" action="/login" class="stack" novalidate>
          <CsrfField ctx={ctx} />
          {redirectTo === undefined ? null : <input type="hidden" name="redirectTo" value={redirectTo} />}
          <Field
            id="email"
            name="email"
            type="email"
            label={t.common.email}
            value={email}
            autocomplete="username webauthn"
            required
            autofocus={email === undefined}
          />
          <Field
            id="password"
            name="password"
            type="password"
            label={t.common.password}
            autocomplete="current-password"
            required
            autofocus={email !== undefined}
          />
          <div class="checkbox">
            <input type="checkbox" id="remember-me" name="rememberMe" checked={rememberMe === true} />
            <label for="remember-me">{t.signIn.rememberMe}</label>
          </div>
          <button type="submit">{t.signIn.submit}</button>
        </form>
        {providers.length > 0 ? <div class="divider">{t.signIn.or}</div> : null}
        <div class="social">
          {/* Shown by the script only where the browser can use passkeys (they need JavaScript). */}
          <div class="js-only passkey-area" id="passkey-area" hidden>
            {providers.length > 0 ? null : <div class="divider">{t.signIn.or}</div>}
            <button
              type="button"
              class="secondary"
              id="passkey-sign-in"
              data-redirect={redirectTo ?? ""}
              data-error={t.signIn.passkeyFailed}
              data-messages={JSON.stringify({
                account_disabled: t.errors.account_disabled,
                email_not_verified: t.errors.email_not_verified,
                rate_limited: t.errors.rate_limited,
              })}
            >
              {t.signIn.passkey}
            </button>
            <div id="passkey-status" />
          </div>
          {providers.map((provider) => (
            <a
              class="button secondary"
              key={provider.id}
              href={`/v1/oauth/${provider.id}/start?transport=cookie&redirectTo=${encodeURIComponent(
                `${ctx.publicUrl}${back}`,
              )}`}
            >
              {t.signIn.continueWith(provider.name)}
            </a>
          ))}
        </div>
      </div>
      <div class="links">
        <a href="/register">{t.signIn.createAccount}</a>
        <a href="/forgot-password">{t.signIn.forgotPassword}</a>
      </div>
    </Layout>
  );
}
