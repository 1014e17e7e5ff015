/**
 * `/confirm-email-change?token=…`: the link mailed to a new address. Opening it changes nothing
 * (mail scanners open links); the button posts the token and moves the account.
 */
import { CsrfField, ErrorAlert } from "../components/form.js";
import { Layout } from "../components/layout.js";
import type { PageContext } from "../page-context.js";
import { MessagePage, OnwardLink } from "./message-page.js";

export function ConfirmEmailChangePage({
  ctx,
  token,
  error,
}: {
  ctx: PageContext;
  token: string;
  /** A limit, in words: the link itself is still good. */
  error?: string | undefined;
}) {
  const { t } = ctx;
  return (
    <Layout ctx={ctx} title={t.recovery.changeTitle} width="narrow">
      <h1>{t.recovery.changeTitle}</h1>
      <ErrorAlert message={error} />
      <div class="card">
        <form method="post" action="/confirm-email-change" class="stack tight">
          <CsrfField ctx={ctx} />
          <input type="hidden" name="token" value={token} />
          <p>{t.recovery.changeIntro}</p>
          <button type="submit">{t.recovery.confirmChange}</button>
        </form>
      </div>
    </Layout>
  );
}

/** A spent, expired or replaced link, or an address taken meanwhile: what happened and what next. */
export function EmailChangeFailedPage({ ctx, message }: { ctx: PageContext; message: string }) {
  const { t } = ctx;
  const signedIn = ctx.signedIn !== null;
  return (
    <MessagePage ctx={ctx} title={t.recovery.changeTitle} error={message}>
      <p>{signedIn ? t.recovery.changeNextSignedIn : t.recovery.changeNextSignedOut}</p>
      <p>
        {signedIn ? (
          <a class="button" href="/account">
            {t.common.goToAccount}
          </a>
        ) : (
          <a class="button" href={`/login?redirectTo=${encodeURIComponent("/account")}`}>
            {t.recovery.signIn}
          </a>
        )}
      </p>
    </MessagePage>
  );
}

export function EmailChangedPage({ ctx }: { ctx: PageContext }) {
  const { t } = ctx;
  return (
    <MessagePage ctx={ctx} title={t.recovery.changedTitle} notice={t.recovery.changedBody}>
      <OnwardLink ctx={ctx} />
    </MessagePage>
  );
}
