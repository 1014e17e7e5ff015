/**
 * The consent page (API.md "Pages for people", `/consent`): an app asks for access; the person
 * sees its name and what it asks, in words, and answers "Allow" or "Deny". Both answers post
 * back here (with the CSRF token); the provider then sends the browser on to the app.
 */
import { CsrfField, ErrorAlert, Field } from "../components/form.js";
import { Layout } from "../components/layout.js";
import type { PageContext } from "../page-context.js";

export interface ConsentPageProps {
  ctx: PageContext;
  uid: string;
  clientName: string;
  /** The scopes asked for, in order; OpenID ones first. */
  scopes: string[];
}

export function ConsentPage({ ctx, uid, clientName, scopes }: ConsentPageProps) {
  const { t } = ctx;
  const title = t.consent.title(clientName);
  const action = `/interaction/${encodeURIComponent(uid)}/consent`;
  return (
    <Layout ctx={ctx} title={title} width="narrow">
      <h1>{title}</h1>
      {ctx.signedIn === null ? null : <p>{t.consent.signedInAs(ctx.signedIn.user.email)}</p>}
      <p>{t.consent.asks(clientName)}</p>
      <ul>
        {scopes.map((scope) => (
          <li key={scope}>{t.consent.scopes[scope] ?? t.consent.apiScope(scope)}</li>
        ))}
      </ul>
      <p>{t.consent.remembered}</p>
      <div class="actions">
        <form method="post" action={action}>
          <CsrfField ctx={ctx} />
          <input type="hidden" name="decision" value="allow" />
          <button type="submit" class="primary">
            {t.consent.allow}
          </button>
        </form>
        <form method="post" action={action}>
          <CsrfField ctx={ctx} />
          <input type="hidden" name="decision" value="deny" />
          <button type="submit" class="secondary">
            {t.consent.deny}
          </button>
        </form>
      </div>
    </Layout>
  );
}

export interface ReauthenticatePageProps {
  ctx: PageContext;
  uid: string;
  clientName: string;
  /** Offer a code of the second factor as well as the password. */
  offerCode: boolean;
  error?: string | undefined;
}

/** `prompt=login` or `max_age`: the app wants a fresh sign-in, asked in place (no second session). */
export function ReauthenticatePage({ ctx, uid, clientName, offerCode, error }: ReauthenticatePageProps) {
  const { t } = ctx;
  return (
    <Layout ctx={ctx} title={t.consent.reauthTitle} width="narrow">
      <h1>{t.consent.reauthTitle}</h1>
      <ErrorAlert message={error} />
      <p>{t.consent.reauthIntro(clientName)}</p>
      <form method="post" action={`/interaction/${encodeURIComponent(uid)}/reauthenticate`} class="stack">
        <CsrfField ctx={ctx} />
        <Field
          id="reauth-password"
          name="password"
          type="password"
          label={t.account.stepUp.password}
          autocomplete="current-password"
          autofocus
        />
        {offerCode ? (
          <Field
            id="reauth-code"
            name="code"
            label={t.account.stepUp.code}
            autocomplete="one-time-code"
            inputMode="numeric"
          />
        ) : null}
        <button type="submit" class="primary">
          {t.account.stepUp.continue}
        </button>
      </form>
    </Layout>
  );
}
