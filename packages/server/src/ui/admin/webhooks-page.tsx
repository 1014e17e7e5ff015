/**
 * `/admin/webhooks`: the endpoints that hear of audit events — the list (URL, events, enabled,
 * created) and the form that registers one, as `POST /v1/admin/webhooks` and `webhooks create`
 * do. The settings fields are shared with a webhook's own page (webhook-page.tsx).
 */
import { AUDIT_EVENT_TYPES } from "../../domain/audit/audit-event.js";
import { ALL_EVENTS, type Webhook } from "../../domain/webhooks/webhook.js";
import { CsrfField, ErrorAlert, Field } from "../components/form.js";
import type { Messages } from "../i18n/catalogue.js";
import type { PageContext } from "../page-context.js";
import { AdminFrame, TableRegion, Time } from "./admin-frame.js";

/** What the settings form shows: a webhook's settings, or what was submitted. */
export interface WebhookForm {
  url: string;
  /** `["*"]`, or event types. */
  events: string[];
  description: string;
  enabled: boolean;
}

export interface WebhooksView {
  webhooks: Webhook[];
  form: WebhookForm;
  /** What is wrong with the submitted form, in words, one line per problem. */
  problems?: string[] | undefined;
  notice?: string | undefined;
}

/** The form field of an event type's checkbox (`event:*` for all): one name each, as a form body keeps one value per name. */
export const eventFieldName = (type: string) => `event:${type}`;
const idPart = (value: string) => value.replace(/[^a-z0-9]/gi, "-");

export const webhookPath = (id: string) => `/admin/webhooks/${encodeURIComponent(id)}`;

/** The host a webhook posts to: how a person tells webhooks apart. */
export function webhookHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

export function eventsInWords(t: Messages, events: readonly string[]): string {
  return events.includes(ALL_EVENTS) ? t.admin.webhooksPage.allEvents : events.join(", ");
}

export function WebhooksPage({ ctx, view }: { ctx: PageContext; view: WebhooksView }) {
  const { t } = ctx;
  const words = t.admin.webhooksPage;
  return (
    <AdminFrame ctx={ctx} section="webhooks" title={words.heading} notice={view.notice}>
      <h1>{words.heading}</h1>
      <p>{words.intro(ctx.productName)}</p>
      <section class="card">
        <h2 id="webhooks-list-heading">{words.listHeading}</h2>
        {view.webhooks.length === 0 ? (
          <p>{words.none}</p>
        ) : (
          <TableRegion labelledBy="webhooks-list-heading">
            <table>
              <thead>
                <tr>
                  <th scope="col">{words.columns.url}</th>
                  <th scope="col">{words.columns.events}</th>
                  <th scope="col">{words.columns.enabled}</th>
                  <th scope="col">{words.columns.created}</th>
                </tr>
              </thead>
              <tbody>
                {view.webhooks.map((webhook) => (
                  <tr key={webhook.id}>
                    <th scope="row">
                      <a href={webhookPath(webhook.id)}>{webhook.url}</a>
                    </th>
                    <td>{eventsInWords(t, webhook.events)}</td>
                    <td>{webhook.enabled ? t.admin.yes : t.admin.no}</td>
                    <td>
                      <Time ctx={ctx} at={webhook.createdAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
        )}
      </section>
      <section class="card">
        <h2 id="create-webhook-heading">{words.createHeading}</h2>
        <ErrorAlert
          message={view.problems === undefined ? undefined : words.invalid}
          details={view.problems ?? []}
        />
        <form method="post" action="/admin/webhooks" class="stack" novalidate>
          <CsrfField ctx={ctx} />
          <WebhookSettingsFields ctx={ctx} idPrefix="new-webhook" form={view.form} />
          <div class="actions">
            <button type="submit">{words.createSubmit}</button>
          </div>
        </form>
      </section>
    </AdminFrame>
  );
}

/** The settings of a webhook as form fields; `withEnabled` adds the on/off switch (a new one starts on). */
export function WebhookSettingsFields({
  ctx,
  idPrefix,
  form,
  withEnabled = false,
}: {
  ctx: PageContext;
  idPrefix: string;
  form: WebhookForm;
  withEnabled?: boolean;
}) {
  const words = ctx.t.admin.webhooksPage;
  const every = form.events.includes(ALL_EVENTS);
  return (
    <>
      <Field
        id={`${idPrefix}-url`}
        name="url"
        type="url"
        label={words.url}
        hint={words.urlHint}
        value={form.url}
        autocomplete="off"
        required
        maxLength={2048}
      />
      <fieldset class="scopes checklist-wide" aria-describedby={`${idPrefix}-events-hint`}>
        <legend>{words.eventsLegend}</legend>
        <p class="hint muted" id={`${idPrefix}-events-hint`}>
          {words.eventsHint}
        </p>
        <div class="checkbox">
          <input
            type="checkbox"
            id={`${idPrefix}-event-all`}
            name={eventFieldName(ALL_EVENTS)}
            checked={every}
          />
          <label for={`${idPrefix}-event-all`}>{words.everyEvent}</label>
        </div>
        {AUDIT_EVENT_TYPES.map((type) => (
          <div class="checkbox" key={type}>
            <input
              type="checkbox"
              id={`${idPrefix}-event-${idPart(type)}`}
              name={eventFieldName(type)}
              checked={form.events.includes(type)}
            />
            <label for={`${idPrefix}-event-${idPart(type)}`}>
              <code>{breakableName(type)}</code>
            </label>
          </div>
        ))}
      </fieldset>
      <Field
        id={`${idPrefix}-description`}
        name="description"
        label={words.description}
        hint={words.descriptionHint}
        value={form.description}
        autocomplete="off"
        maxLength={500}
      />
      {withEnabled ? (
        <div class="field">
          <div class="checkbox">
            <input type="checkbox" id={`${idPrefix}-enabled`} name="enabled" checked={form.enabled} />
            <label for={`${idPrefix}-enabled`}>{words.enabled}</label>
          </div>
        </div>
      ) : null}
    </>
  );
}

/**
 * An event type that may wrap after each `.` and `_` (`backchannel_logout.delivered`), so that a
 * narrow column breaks it between its words, never inside one.
 */
function breakableName(type: string) {
  return type.split(/(?<=[._])/).map((part, index) => (index === 0 ? part : [<wbr key={index} />, part]));
}
