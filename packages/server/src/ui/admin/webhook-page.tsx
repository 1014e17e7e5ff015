/**
 * `/admin/webhooks/:id`: one webhook — its details, its signing secret shown this once (after
 * registering), its settings as a form, its deliveries newest first (a failed or pending one with
 * "Retry"), and a way to delete it behind a confirmation page.
 */
import type { Webhook, WebhookDelivery } from "../../domain/webhooks/webhook.js";
import { CsrfField, ErrorAlert } from "../components/form.js";
import type { PageContext } from "../page-context.js";
import { AdminFrame, TableRegion, Time } from "./admin-frame.js";
import {
  eventsInWords,
  type WebhookForm,
  WebhookSettingsFields,
  webhookHost,
  webhookPath,
} from "./webhooks-page.js";

export interface WebhookView {
  webhook: Webhook;
  deliveries: WebhookDelivery[];
  form: WebhookForm;
  /** The secret just made, shown this once. */
  newSecret?: string | undefined;
  problems?: string[] | undefined;
  notice?: string | undefined;
}

export const deliveryRetryPath = (webhookId: string, deliveryId: string) =>
  `${webhookPath(webhookId)}/deliveries/${encodeURIComponent(deliveryId)}/retry`;

export function WebhookPage({ ctx, view }: { ctx: PageContext; view: WebhookView }) {
  const { t } = ctx;
  const words = t.admin.webhooksPage;
  const labels = words.webhook;
  const { webhook } = view;
  const path = webhookPath(webhook.id);
  const title = labels.title(webhookHost(webhook.url));
  return (
    <AdminFrame ctx={ctx} section="webhooks" sectionRoot={false} title={title} notice={view.notice}>
      <h1 class="admin-title">{title}</h1>

      {view.newSecret === undefined ? null : (
        <section class="new-key stack" aria-labelledby="new-secret-heading">
          <h2 id="new-secret-heading">{labels.newSecretHeading}</h2>
          <p>
            <strong>{labels.newSecretWarning}</strong>
          </p>
          <p>
            <code class="secret" id="new-webhook-secret">
              {view.newSecret}
            </code>
          </p>
        </section>
      )}

      <section class="card">
        <h2 id="details-heading">{labels.detailsHeading}</h2>
        <dl class="admin-details">
          <div>
            <dt>{labels.id}</dt>
            <dd>
              <code>{webhook.id}</code>
            </dd>
          </div>
          <div>
            <dt>{words.url}</dt>
            <dd>
              <code>{webhook.url}</code>
            </dd>
          </div>
          <div>
            <dt>{words.eventsLegend}</dt>
            <dd>{eventsInWords(t, webhook.events)}</dd>
          </div>
          <div>
            <dt>{words.columns.enabled}</dt>
            <dd>{webhook.enabled ? t.admin.yes : t.admin.no}</dd>
          </div>
          <div>
            <dt>{labels.secret}</dt>
            <dd>{labels.secretKept}</dd>
          </div>
          <div>
            <dt>{labels.description}</dt>
            <dd>{webhook.description ?? <span class="muted">{labels.none}</span>}</dd>
          </div>
          {webhook.failingSince === null ? null : (
            <div>
              <dt>{labels.failingSince}</dt>
              <dd>
                <Time ctx={ctx} at={webhook.failingSince} />
              </dd>
            </div>
          )}
          <div>
            <dt>{labels.created}</dt>
            <dd>
              <Time ctx={ctx} at={webhook.createdAt} />
            </dd>
          </div>
          <div>
            <dt>{labels.updated}</dt>
            <dd>
              <Time ctx={ctx} at={webhook.updatedAt} />
            </dd>
          </div>
        </dl>
      </section>

      <section class="card">
        <h2 id="deliveries-heading">{labels.deliveriesHeading}</h2>
        {view.deliveries.length === 0 ? (
          <p>{labels.deliveriesNone}</p>
        ) : (
          <DeliveriesTable ctx={ctx} webhookId={webhook.id} deliveries={view.deliveries} />
        )}
      </section>

      <section class="card">
        <h2 id="settings-heading">{labels.settingsHeading}</h2>
        <ErrorAlert
          message={view.problems === undefined ? undefined : words.invalid}
          details={view.problems ?? []}
        />
        <form method="post" action={path} class="stack" novalidate>
          <CsrfField ctx={ctx} />
          <WebhookSettingsFields ctx={ctx} idPrefix="webhook" form={view.form} withEnabled />
          <div class="actions">
            <button type="submit" class="secondary">
              {labels.save}
            </button>
          </div>
        </form>
      </section>

      <section class="card">
        <h2 id="delete-heading">{labels.deleteHeading}</h2>
        <p>{labels.deleteHint}</p>
        <p>
          <a href={`${path}/delete`}>{labels.deleteLink}</a>
        </p>
      </section>
    </AdminFrame>
  );
}

function DeliveriesTable({
  ctx,
  webhookId,
  deliveries,
}: {
  ctx: PageContext;
  webhookId: string;
  deliveries: WebhookDelivery[];
}) {
  const labels = ctx.t.admin.webhooksPage.webhook;
  const columns = labels.deliveryColumns;
  return (
    <TableRegion labelledBy="deliveries-heading">
      <table>
        <thead>
          <tr>
            <th scope="col">{columns.eventType}</th>
            <th scope="col">{columns.status}</th>
            <th scope="col">{columns.attempts}</th>
            <th scope="col">{columns.lastStatusCode}</th>
            <th scope="col">{columns.created}</th>
            <th scope="col">{columns.delivered}</th>
            <th scope="col">{columns.action}</th>
          </tr>
        </thead>
        <tbody>
          {deliveries.map((delivery) => (
            <tr key={delivery.id}>
              <th scope="row" id={`delivery-${delivery.id}-event`}>
                <code class="admin-type">{delivery.eventType}</code>
              </th>
              <td>{labels.statuses[delivery.status]}</td>
              <td>{delivery.attempts}</td>
              <td>{delivery.lastStatusCode ?? <span class="muted">{labels.none}</span>}</td>
              <td>
                <Time ctx={ctx} at={delivery.createdAt} />
              </td>
              <td>
                {delivery.deliveredAt === null ? (
                  <span class="muted">{labels.none}</span>
                ) : (
                  <Time ctx={ctx} at={delivery.deliveredAt} />
                )}
              </td>
              <td>
                {delivery.status === "delivered" ? null : (
                  <form method="post" action={deliveryRetryPath(webhookId, delivery.id)}>
                    <CsrfField ctx={ctx} />
                    {/* Each row's "Retry" is told apart by its event type. */}
                    <button
                      type="submit"
                      class="secondary"
                      aria-describedby={`delivery-${delivery.id}-event`}
                    >
                      {labels.retry}
                    </button>
                  </form>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableRegion>
  );
}

/** `/admin/webhooks/:id/delete`: the confirmation; only its POST deletes. */
export function DeleteWebhookPage({ ctx, webhook }: { ctx: PageContext; webhook: Webhook }) {
  const labels = ctx.t.admin.webhooksPage.webhook;
  const path = webhookPath(webhook.id);
  const title = labels.deleteTitle(webhookHost(webhook.url));
  return (
    <AdminFrame ctx={ctx} section="webhooks" sectionRoot={false} title={title}>
      <h1 class="admin-title">{title}</h1>
      <div class="card stack">
        <p>
          <code>{webhook.url}</code>
        </p>
        <p>{labels.deleteWarning}</p>
        <form method="post" action={`${path}/delete`} class="actions">
          <CsrfField ctx={ctx} />
          <button type="submit" class="danger">
            {labels.deleteSubmit}
          </button>
          <a href={path}>{labels.backToWebhook}</a>
        </form>
      </div>
    </AdminFrame>
  );
}
