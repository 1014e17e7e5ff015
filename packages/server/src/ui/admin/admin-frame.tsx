/**
 * The frame of every console page: the wide layout, the section navigation (`aria-current` on
 * the section shown), the notice of the step just done and any error in words, and the small
 * parts the sections share (a time in the reader's language, the "Search users" form, a
 * scrollable table that stays usable at 375 px and by keyboard).
 */
import type { ComponentChildren } from "preact";
import { dateTimeFormat } from "../components/date-format.js";
import { ErrorAlert, Notice } from "../components/form.js";
import { Layout } from "../components/layout.js";
import type { PageContext } from "../page-context.js";

export type AdminSection = "overview" | "users" | "audit" | "keys" | "clients" | "webhooks";

export interface AdminFrameProps {
  ctx: PageContext;
  section: AdminSection;
  /** True on the section's own page; its pages below (a user) mark the link as the current location. */
  sectionRoot?: boolean;
  title: string;
  notice?: string | undefined;
  error?: string | undefined;
  children: ComponentChildren;
}

export function AdminFrame({
  ctx,
  section,
  sectionRoot = true,
  title,
  notice,
  error,
  children,
}: AdminFrameProps) {
  const { t } = ctx;
  const links: { section: AdminSection; href: string; label: string }[] = [
    { section: "overview", href: "/admin", label: t.admin.overview },
    { section: "users", href: "/admin/users", label: t.admin.users },
    { section: "audit", href: "/admin/audit", label: t.admin.auditLog },
    { section: "keys", href: "/admin/keys", label: t.admin.signingKeys },
    { section: "clients", href: "/admin/clients", label: t.admin.clients },
    { section: "webhooks", href: "/admin/webhooks", label: t.admin.webhooks },
  ];
  return (
    <Layout ctx={ctx} title={`${title} · ${t.admin.title}`} width="wide">
      <nav class="admin-nav" aria-label={t.admin.sectionsLabel}>
        <ul>
          {links.map((link) => (
            <li key={link.section}>
              <a
                href={link.href}
                aria-current={link.section !== section ? undefined : sectionRoot ? "page" : "location"}
              >
                {link.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {notice === undefined ? null : (
        <Notice>
          <p>{notice}</p>
        </Notice>
      )}
      <ErrorAlert message={error} />
      {children}
    </Layout>
  );
}

/** A moment in the reader's language, in UTC (servers and their logs are), with a machine-readable `datetime`. */
export function Time({ ctx, at }: { ctx: PageContext; at: number }) {
  return <time datetime={new Date(at).toISOString()}>{formatTime(ctx, at)}</time>;
}

const CONSOLE_TIME: Intl.DateTimeFormatOptions = { dateStyle: "medium", timeStyle: "short" };

export function formatTime(ctx: PageContext, at: number): string {
  return `${dateTimeFormat(ctx.locale.code, CONSOLE_TIME).format(at)} UTC`;
}

/** The "Search users" form: a GET to the users list, so a search is a link one can share. */
export function UserSearch({ ctx, query }: { ctx: PageContext; query?: string | undefined }) {
  const { t } = ctx;
  return (
    <search class="admin-search">
      <form method="get" action="/admin/users">
        <label for="user-search">{t.admin.searchUsers}</label>
        <div class="admin-search-row">
          <input id="user-search" name="q" type="search" value={query} maxLength={320} autocomplete="off" />
          <button type="submit" class="secondary">
            {t.admin.search}
          </button>
        </div>
      </form>
    </search>
  );
}

/**
 * A table that scrolls sideways on a narrow screen. It is a labelled, focusable region so a
 * keyboard can scroll it too (WCAG 2.1.1).
 */
export function TableRegion({ labelledBy, children }: { labelledBy: string; children: ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
    <section class="table-wrap admin-table-wrap" aria-labelledby={labelledBy} tabIndex={0}>
      {children}
    </section>
  );
}
