/**
 * `/admin/clients/:id`: one OAuth client — its details, a new secret shown this once (after
 * registering or "Rotate secret"), its settings as a form, "Rotate secret" for a confidential
 * client, and a way to delete it behind a confirmation page.
 */
import type { OAuthClient } from "../../domain/oauth-clients/oauth-client.js";
import { CsrfField, ErrorAlert } from "../components/form.js";
import type { PageContext } from "../page-context.js";
import { AdminFrame, Time } from "./admin-frame.js";
import { type ClientForm, ClientSettingsFields, clientPath } from "./clients-page.js";

export interface ClientView {
  client: OAuthClient;
  allowedScopes: readonly string[];
  form: ClientForm;
  /** The secret just made, shown this once. */
  newSecret?: string | undefined;
  problems?: string[] | undefined;
  notice?: string | undefined;
}

function UriList({ uris, none }: { uris: string[]; none: string }) {
  if (uris.length === 0) return <span class="muted">{none}</span>;
  return (
    <ul class="client-uris">
      {uris.map((uri) => (
        <li key={uri}>
          <code>{uri}</code>
        </li>
      ))}
    </ul>
  );
}

export function ClientPage({ ctx, view }: { ctx: PageContext; view: ClientView }) {
  const { t } = ctx;
  const words = t.admin.clientsPage;
  const labels = words.client;
  const { client } = view;
  const path = clientPath(client.id);
  return (
    <AdminFrame
      ctx={ctx}
      section="clients"
      sectionRoot={false}
      title={labels.title(client.name)}
      notice={view.notice}
    >
      <h1 class="admin-title">{client.name}</h1>

      {view.newSecret === undefined ? null : (
        <section class="new-key stack" aria-labelledby="new-secret-heading">
          <h2 id="new-secret-heading">{labels.newSecretHeading}</h2>
          <p>
            <strong>{labels.newSecretWarning}</strong>
          </p>
          <p>
            <code class="secret" id="new-client-secret">
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
              <code>{client.id}</code>
            </dd>
          </div>
          <div>
            <dt>{words.type}</dt>
            <dd>{words.types[client.type]}</dd>
          </div>
          <div>
            <dt>{labels.secret}</dt>
            <dd>{client.type === "public" ? labels.noSecret : labels.secretKept}</dd>
          </div>
          <div>
            <dt>{words.grantTypesLegend}</dt>
            <dd>{client.grantTypes.join(", ")}</dd>
          </div>
          <div>
            <dt>{words.redirectUris}</dt>
            <dd>
              <UriList uris={client.redirectUris} none={labels.none} />
            </dd>
          </div>
          <div>
            <dt>{words.postLogoutRedirectUris}</dt>
            <dd>
              <UriList uris={client.postLogoutRedirectUris} none={labels.none} />
            </dd>
          </div>
          <div>
            <dt>{words.scopesLegend}</dt>
            <dd>
              {client.scopes.length === 0 ? (
                <span class="muted">{labels.none}</span>
              ) : (
                client.scopes.join(" ")
              )}
            </dd>
          </div>
          <div>
            <dt>{labels.firstParty}</dt>
            <dd>{client.firstParty ? t.admin.yes : t.admin.no}</dd>
          </div>
          <div>
            <dt>{labels.backchannelLogoutUri}</dt>
            <dd>
              <UriList
                uris={client.backchannelLogoutUri === null ? [] : [client.backchannelLogoutUri]}
                none={labels.none}
              />
            </dd>
          </div>
          <div>
            <dt>{labels.created}</dt>
            <dd>
              <Time ctx={ctx} at={client.createdAt} />
            </dd>
          </div>
          <div>
            <dt>{labels.updated}</dt>
            <dd>
              <Time ctx={ctx} at={client.updatedAt} />
            </dd>
          </div>
        </dl>
      </section>

      <section class="card">
        <h2 id="settings-heading">{labels.settingsHeading}</h2>
        <p class="muted">{labels.typeFixed(words.types[client.type])}</p>
        <ErrorAlert
          message={view.problems === undefined ? undefined : words.invalid}
          details={view.problems ?? []}
        />
        <form method="post" action={path} class="stack" novalidate>
          <CsrfField ctx={ctx} />
          <ClientSettingsFields
            ctx={ctx}
            idPrefix="client"
            form={view.form}
            allowedScopes={view.allowedScopes}
            typeFixed
          />
          <div class="actions">
            <button type="submit" class="secondary">
              {labels.save}
            </button>
          </div>
        </form>
      </section>

      {client.type === "public" ? null : (
        <section class="card">
          <h2 id="secret-heading">{labels.secretHeading}</h2>
          <form method="post" action={`${path}/rotate-secret`} class="admin-action">
            <CsrfField ctx={ctx} />
            <button type="submit" class="secondary" aria-describedby="rotate-hint">
              {labels.rotateSecret}
            </button>
            <span class="muted" id="rotate-hint">
              {labels.rotateHint}
            </span>
          </form>
        </section>
      )}

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

/** `/admin/clients/:id/delete`: the confirmation; only its POST deletes. */
export function DeleteClientPage({ ctx, client }: { ctx: PageContext; client: OAuthClient }) {
  const labels = ctx.t.admin.clientsPage.client;
  const path = clientPath(client.id);
  return (
    <AdminFrame ctx={ctx} section="clients" sectionRoot={false} title={labels.deleteTitle(client.name)}>
      <h1 class="admin-title">{labels.deleteTitle(client.name)}</h1>
      <div class="card stack">
        <p>{labels.deleteWarning}</p>
        <form method="post" action={`${path}/delete`} class="actions">
          <CsrfField ctx={ctx} />
          <button type="submit" class="danger">
            {labels.deleteSubmit}
          </button>
          <a href={path}>{labels.backToClient}</a>
        </form>
      </div>
    </AdminFrame>
  );
}
