/**
 * `/confirm-email-change?token=…`: the link mailed to a new address. Opening it changes nothing
 * (mail scanners open links); the button posts the token and moves the account.
 */
import type { PageContext } from "../page-context.js";
import { LinkButtonPage, type LinkPageProps, MessagePage, OnwardLink } from "./message-page.js";

export function ConfirmEmailChangePage({ ctx, token, error }: LinkPageProps) {
  const { t } = ctx;
  return (
    <LinkButtonPage
      ctx={ctx}
      title={t.recovery.changeTitle}
      intro={t.recovery.changeIntro}
      button={t.recovery.confirmChange}
      action="/confirm-email-change"
      token={token}
      error={error}
    />
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
