/**
 * `/admin/audit`: the audit log, newest first, filtered by user and type and paged with the admin
 * API's cursor; and the hash-chain check (`audit verify`) with its verdict in words. The check
 * walks the whole log, so it runs when asked ("Verify the chain"), not on every visit.
 */
import type { ChainVerdict } from "../../domain/audit/audit-chain.js";
import type { AuditEventType } from "../../domain/audit/audit-event.js";
import type { AuditEventView } from "../../domain/audit/audit-record.js";
import type { Messages } from "../i18n/catalogue.js";
import type { PageContext } from "../page-context.js";
import { AdminFrame, TableRegion, Time } from "./admin-frame.js";

export interface AuditView {
  events: AuditEventView[];
  /** Emails of the users named in `events`, by id (deleted users are shown by id). */
  emails: ReadonlyMap<string, string>;
  userId: string | undefined;
  type: string | undefined;
  cursor: string | undefined;
  nextCursor: string | null;
  verdict: ChainVerdict | undefined;
  error?: string | undefined;
}

/** Every event type in words; the compiler checks the catalogue names each one. */
function eventTypeWords(t: Messages): Record<AuditEventType, string> {
  return t.admin.eventTypes;
}

/** The event types, for the filter. */
export function eventTypes(t: Messages): AuditEventType[] {
  return Object.keys(eventTypeWords(t)) as AuditEventType[];
}

function describeType(t: Messages, type: string): string | undefined {
  return (eventTypeWords(t) as Partial<Record<string, string>>)[type];
}

function auditUrl(filter: { userId?: string | undefined; type?: string | undefined; cursor?: string }) {
  const params = new URLSearchParams();
  if (filter.userId !== undefined) params.set("userId", filter.userId);
  if (filter.type !== undefined) params.set("type", filter.type);
  if (filter.cursor !== undefined) params.set("cursor", filter.cursor);
  const search = params.toString();
  return search === "" ? "/admin/audit" : `/admin/audit?${search}`;
}

function Person({
  ctx,
  id,
  emails,
}: {
  ctx: PageContext;
  id: string | null;
  emails: ReadonlyMap<string, string>;
}) {
  if (id === null) return <span class="muted">{ctx.t.admin.system}</span>;
  const email = emails.get(id);
  if (email === undefined) return <code>{id}</code>;
  return <a href={`/admin/users/${encodeURIComponent(id)}`}>{email}</a>;
}

function Details({ details }: { details: Record<string, unknown> }) {
  const entries = Object.entries(details);
  if (entries.length === 0) return null;
  return (
    <ul class="admin-kv">
      {entries.map(([name, value]) => (
        <li key={name}>
          <span class="muted">{name}</span>{" "}
          <code>{typeof value === "string" ? value : JSON.stringify(value)}</code>
        </li>
      ))}
    </ul>
  );
}

export function EventTable({
  ctx,
  events,
  emails,
  labelledBy,
}: {
  ctx: PageContext;
  events: AuditEventView[];
  emails: ReadonlyMap<string, string>;
  labelledBy: string;
}) {
  const { t } = ctx;
  const labels = t.admin.audit;
  return (
    <TableRegion labelledBy={labelledBy}>
      <table class="admin-events">
        <thead>
          <tr>
            <th scope="col">{labels.when}</th>
            <th scope="col">{labels.event}</th>
            <th scope="col">{labels.subject}</th>
            <th scope="col">{labels.actor}</th>
            <th scope="col">{labels.ip}</th>
            <th scope="col">{labels.details}</th>
          </tr>
        </thead>
        <tbody>
          {events.map((event) => (
            <tr key={event.id}>
              <td>
                <Time ctx={ctx} at={event.at} />
              </td>
              <td>
                {describeType(t, event.type) ?? event.type}
                <br />
                <code class="muted admin-type">{event.type}</code>
              </td>
              <td>{event.userId === null ? null : <Person ctx={ctx} id={event.userId} emails={emails} />}</td>
              <td>
                <Person ctx={ctx} id={event.actorId} emails={emails} />
              </td>
              <td>{event.ip ?? ""}</td>
              <td>
                <Details details={event.details} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableRegion>
  );
}

function Verdict({ ctx, verdict }: { ctx: PageContext; verdict: ChainVerdict }) {
  const labels = ctx.t.admin.audit;
  if (verdict.ok) {
    return (
      <div class="notice" role="status">
        <p>{labels.chainIntact(verdict.events)}</p>
        <p>
          {labels.chainHead} <code>{verdict.head}</code>
        </p>
      </div>
    );
  }
  return (
    <div class="alert" role="alert">
      <p>{labels.chainBroken(verdict.brokenAt.position, verdict.brokenAt.type)}</p>
      <p>{labels.chainReasons[verdict.reason]}</p>
    </div>
  );
}

export function AuditPage({ ctx, view }: { ctx: PageContext; view: AuditView }) {
  const { t } = ctx;
  const labels = t.admin.audit;
  const filter = { userId: view.userId, type: view.type };
  const filtered = view.userId !== undefined || view.type !== undefined;
  return (
    <AdminFrame ctx={ctx} section="audit" title={labels.heading} error={view.error}>
      <h1>{labels.heading}</h1>
      <section class="card">
        <h2 id="chain-heading">{labels.chainHeading}</h2>
        <p>{labels.chainIntro}</p>
        {view.verdict === undefined ? null : <Verdict ctx={ctx} verdict={view.verdict} />}
        <form method="get" action="/admin/audit">
          {view.userId === undefined ? null : <input type="hidden" name="userId" value={view.userId} />}
          {view.type === undefined ? null : <input type="hidden" name="type" value={view.type} />}
          <input type="hidden" name="verify" value="1" />
          <button type="submit" class="secondary">
            {labels.verifyChain}
          </button>
        </form>
      </section>
      <section class="card">
        <h2 id="filter-heading">{labels.filterHeading}</h2>
        <form method="get" action="/admin/audit" class="admin-filter">
          <div class="field">
            <label for="filter-user">{labels.userId}</label>
            <span class="hint" id="filter-user-hint">
              {labels.userIdHint}
            </span>
            <input
              id="filter-user"
              name="userId"
              type="text"
              value={view.userId}
              maxLength={64}
              autocomplete="off"
              aria-describedby="filter-user-hint"
            />
          </div>
          <div class="field">
            <label for="filter-type">{labels.type}</label>
            <select id="filter-type" name="type">
              <option value="">{labels.allTypes}</option>
              {eventTypes(t).map((type) => (
                <option value={type} selected={type === view.type} key={type}>
                  {describeType(t, type)}
                </option>
              ))}
            </select>
          </div>
          <div class="actions">
            <button type="submit">{labels.applyFilter}</button>
            {filtered ? <a href="/admin/audit">{labels.clearFilter}</a> : null}
          </div>
        </form>
      </section>
      <section class="card">
        <h2 id="events-heading">{labels.eventsHeading}</h2>
        {view.events.length === 0 ? (
          <p>{labels.noEvents}</p>
        ) : (
          <EventTable ctx={ctx} events={view.events} emails={view.emails} labelledBy="events-heading" />
        )}
        {view.cursor === undefined && view.nextCursor === null ? null : (
          <nav class="actions admin-pager" aria-label={t.admin.auditLog}>
            {view.cursor === undefined ? null : <a href={auditUrl(filter)}>{labels.newestEvents}</a>}
            {view.nextCursor === null ? null : (
              <a href={auditUrl({ ...filter, cursor: view.nextCursor })} rel="next">
                {labels.olderEvents}
              </a>
            )}
          </nav>
        )}
      </section>
    </AdminFrame>
  );
}
