/** A page that only says what went wrong, in words, and where to go next. */
import type { PageContext } from "../page-context.js";
import { Layout } from "./layout.js";

export interface ErrorPageProps {
  ctx: PageContext;
  title: string;
  message: string;
}

export function ErrorPage({ ctx, title, message }: ErrorPageProps) {
  const { t } = ctx;
  return (
    <Layout ctx={ctx} title={title} width="narrow">
      <h1>{title}</h1>
      <div class="alert" role="alert">
        <p>{message}</p>
      </div>
      <p>
        {ctx.signedIn === null ? (
          <a href="/login">{t.common.backToSignIn}</a>
        ) : (
          <a href="/account">{t.common.goToAccount}</a>
        )}
      </p>
    </Layout>
  );
}
