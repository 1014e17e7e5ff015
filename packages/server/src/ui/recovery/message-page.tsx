/**
 * The plain page the recovery flows end on: a heading, an error or a confirmation in words, and
 * what to do next (the children). Used for "check your email", "password changed", a spent link.
 */
import type { ComponentChildren } from "preact";
import { ErrorAlert, Notice } from "../components/form.js";
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
