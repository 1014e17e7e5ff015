/**
 * The plain page the recovery flows end on: a heading, an error or a confirmation in words, and
 * what to do next (the children). Used for "check your email", "password changed", a spent link.
 */
import type { ComponentChildren } from "preact";
import { CsrfField, ErrorAlert, Notice } from "../components/form.js";
import { Layout } from "../components/layout.js";
import type { PageContext } from "../page-context.js";

export interface MessagePageProps {
  ctx: PageContext;
  title: string;
  /** Announced as an alert. */
  error?: string | undefined;
  /** Announced politely. */
  notice?: string | undefined;
  children?: ComponentChildren;
}

export function MessagePage({ ctx, title, error, notice, children }: MessagePageProps) {
  return (
    <Layout ctx={ctx} title={title} width="narrow">
      <h1>{title}</h1>
      <ErrorAlert message={error} />
      {notice === undefined ? null : (
        <Notice>
          <p>{notice}</p>
        </Notice>
      )}
      {children}
    </Layout>
  );
}

/** "Back to sign-in" for a signed-out person, "Go to your account" for a signed-in one. */
export function OnwardLink({ ctx }: { ctx: PageContext }) {
  const { t } = ctx;
  return (
    <p>
      {ctx.signedIn === null ? (
        <a href="/login">{t.common.backToSignIn}</a>
      ) : (
        <a href="/account">{t.common.goToAccount}</a>
      )}
    </p>
  );
}

export interface LinkButtonPageProps {
  ctx: PageContext;
  title: string;
  intro: string;
  button: string;
  /** Where the button posts the token. */
  action: string;
  token: string;
  /** A limit, in words: the link itself is still good. */
  error?: string | undefined;
}

/** What a page for one mailed link is given: the link's token, and a limit's words if one applies. */
export type LinkPageProps = Pick<LinkButtonPageProps, "ctx" | "token" | "error">;

/**
 * The page a link from a mail opens: one button that posts the link's token. Opening the link
 * changes nothing, because mail scanners open links.
 */
export function LinkButtonPage({ ctx, title, intro, button, action, token, error }: LinkButtonPageProps) {
  return (
    <Layout ctx={ctx} title={title} width="narrow">
      <h1>{title}</h1>
      <ErrorAlert message={error} />
      <div class="card">
        <form method="post" action={action} class="stack tight">
          <CsrfField ctx={ctx} />
          <input type="hidden" name="token" value={token} />
          <p>{intro}</p>
          <button type="submit">{button}</button>
        </form>
      </div>
    </Layout>
  );
}
