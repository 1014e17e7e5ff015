/**
 * The frame of every page: `lang`, a `<title>`, the stylesheets, a skip link, the header (the
 * product, and for a signed-in person their account, the console for admins and "Sign out"),
 * one `<main>`, the operator's header and footer markup if any, and the language switcher. Scripts are external modules only (the CSP has no
 * inline script).
 */
import type { ComponentChildren } from "preact";
import type { PageContext } from "../page-context.js";
import { CsrfField } from "./form.js";

export interface LayoutProps {
  ctx: PageContext;
  title: string;
  /** `narrow` for sign-in style forms, `wide` for the console; default in between. */
  width?: "narrow" | "wide";
  /** External module scripts (asset URLs) this page needs. */
  scripts?: string[];
  children: ComponentChildren;
}

export function Layout({ ctx, title, width, scripts = [], children }: LayoutProps) {
  const { t } = ctx;
  const signedIn = ctx.signedIn;
  return (
    <html lang={ctx.locale.code}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="csrf-token" content={ctx.csrfToken} />
        <title>{`${title} · ${ctx.productName}`}</title>
        <link rel="icon" href="data:," />
        {ctx.assets.stylesheets.map((href) => (
          <link rel="stylesheet" href={href} key={href} />
        ))}
        {scripts.map((src) => (
          <script type="module" src={src} key={src} />
        ))}
      </head>
      <body>
        <a class="skip-link" href="#main">
          {t.common.skipToContent}
        </a>
        <header class="site-header">
          <a class="brand" href={signedIn === null ? "/login" : "/account"}>
            {ctx.logoUrl === undefined ? null : <img src={ctx.logoUrl} alt="" />}
            <span>{ctx.productName}</span>
          </a>
          <OperatorFragment markup={ctx.assets.fragments.header} class="operator-header" />
          {signedIn === null ? null : (
            <nav class="header-actions" aria-label={t.common.account}>
              <a href="/account">{t.common.account}</a>
              {signedIn.roles.includes("admin") ? <a href="/admin">{t.common.admin}</a> : null}
              <form method="post" action="/logout">
                <CsrfField ctx={ctx} />
                <button type="submit" class="secondary">
                  {t.common.signOut}
                </button>
              </form>
            </nav>
          )}
        </header>
        <main id="main" class={width ?? ""}>
          {children}
        </main>
        <footer class="site-footer">
          <OperatorFragment markup={ctx.assets.fragments.footer} class="operator-footer" />
          <LanguageSwitcher ctx={ctx} />
        </footer>
      </body>
    </html>
  );
}

/** The operator's static markup from the overrides folder: trusted like the configuration, checked at start (operator-fragments.ts). */
function OperatorFragment({ markup, class: className }: { markup: string | undefined; class: string }) {
  if (markup === undefined) return null;
  return <div class={className} dangerouslySetInnerHTML={{ __html: markup }} />;
}

function LanguageSwitcher({ ctx }: { ctx: PageContext }) {
  if (ctx.locales.length < 2) return null;
  return (
    <form method="post" action="/language">
      <CsrfField ctx={ctx} />
      <input type="hidden" name="return" value={ctx.path} />
      <label for="language-select">{ctx.t.common.language}</label>
      <select id="language-select" name="lang">
        {ctx.locales.map((locale) => (
          <option
            value={locale.code}
            selected={locale.code === ctx.locale.code}
            lang={locale.code}
            key={locale.code}
          >
            {locale.name}
          </option>
        ))}
      </select>
      <button type="submit" class="secondary">
        {ctx.t.common.change}
      </button>
    </form>
  );
}
