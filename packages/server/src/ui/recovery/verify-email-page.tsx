/**
 * `/verify-email`: with `?token=` from the mail, a button that confirms the address (opening the
 * link changes nothing: mail scanners open links); without one, for a signed-in person, where
 * their address stands and a button to send a new link.
 */
import { CsrfField, ErrorAlert, Notice } from "../components/form.js";
import { Layout } from "../components/layout.js";
import type { PageContext } from "../page-context.js";
import { LinkButtonPage, type LinkPageProps, MessagePage, OnwardLink } from "./message-page.js";

/** The link from the mail: one button, which posts the token. */
export function VerifyEmailPage({ ctx, token, error }: LinkPageProps) {
  const { t } = ctx;
  return (
    <LinkButtonPage
      ctx={ctx}
      title={t.recovery.verifyTitle}
      intro={t.recovery.verifyIntro}
      button={t.recovery.verify}
      action="/verify-email"
      token={token}
      error={error}
    />
  );
}

export interface VerifyStatusPageProps {
  ctx: PageContext;
  /** Why the person is here without a working link, in words (a spent link, a limit). */
  error?: string | undefined;
  /** A new link was just sent: its lifetime in words. */
  resentLifetime?: string | undefined;
}

/**
 * Where the address stands, and the next step: a new link for a signed-in person whose address
 * is unconfirmed, the account for one whose address is confirmed, sign-in for anyone else.
 */
export function VerifyStatusPage({ ctx, error, resentLifetime }: VerifyStatusPageProps) {
  const { t } = ctx;
  const user = ctx.signedIn?.user;
  return (
    <Layout ctx={ctx} title={t.recovery.verifyTitle} width="narrow">
      <h1>{t.recovery.verifyTitle}</h1>
      <ErrorAlert message={error} />
      {resentLifetime === undefined ? null : (
        <Notice>
          <p>{t.recovery.resent(resentLifetime)}</p>
        </Notice>
      )}
      {user === undefined ? (
        <>
          <p>{error === undefined ? t.recovery.verifySignedOut : t.recovery.verifyNextSignedOut}</p>
          <p>
            <a class="button" href={`/login?redirectTo=${encodeURIComponent("/verify-email")}`}>
              {t.recovery.signIn}
            </a>
          </p>
        </>
      ) : user.emailVerified ? (
        <>
          <div class="info">
            <p>{t.recovery.alreadyVerified(user.email)}</p>
          </div>
          <OnwardLink ctx={ctx} />
        </>
      ) : (
        <div class="card">
          <form method="post" action="/verify-email/resend" class="stack tight">
            <CsrfField ctx={ctx} />
            <p>
              {error === undefined ? t.recovery.verifyPending(user.email) : t.recovery.verifyNextSignedIn}
            </p>
            <div class="actions">
              <button type="submit">{t.recovery.resend}</button>
              <a href="/account">{t.common.goToAccount}</a>
            </div>
          </form>
        </div>
      )}
    </Layout>
  );
}

export function VerifiedPage({ ctx }: { ctx: PageContext }) {
  const { t } = ctx;
  return (
    <MessagePage ctx={ctx} title={t.recovery.verifiedTitle} notice={t.recovery.verifiedBody}>
      <OnwardLink ctx={ctx} />
    </MessagePage>
  );
}
