/**
 * `/admin/clients`: the OpenID provider's OAuth clients — the list (name, type, grant types,
 * created) and the form that registers one, as `POST /v1/admin/clients` and `clients create`
 * do. The settings fields are shared with a client's own page (client-page.tsx).
 */
import type { ClientType, OAuthClient } from "../../domain/oauth-clients/oauth-client.js";
import { CLIENT_TYPES, GRANT_TYPES } from "../../domain/oauth-clients/oauth-client.js";
import { CsrfField, ErrorAlert, Field } from "../components/form.js";
import type { PageContext } from "../page-context.js";
import { AdminFrame, TableRegion, Time } from "./admin-frame.js";

/** What the settings form shows: a client's settings, or what was submitted. */
export interface ClientForm {
  name: string;
  type: ClientType;
  grantTypes: string[];
  /** One URI per line, as typed. */
  redirectUris: string;
  postLogoutRedirectUris: string;
  scopes: string[];
  firstParty: boolean;
  backchannelLogoutUri: string;
}

export interface ClientsView {
  clients: OAuthClient[];
  /** The scopes a client may be registered with. */
  allowedScopes: readonly string[];
  form: ClientForm;
  /** What is wrong with the submitted form, in words, one line per problem. */
  problems?: string[] | undefined;
  notice?: string | undefined;
}

/** The form field of a grant type's or a scope's checkbox: one name each, since a form body keeps one value per name. */
export const grantFieldName = (grant: string) => `grant:${grant}`;
export const scopeFieldName = (scope: string) => `scope:${scope}`;
const idPart = (value: string) => value.replace(/[^a-z0-9]/gi, "-");

export const clientPath = (id: string) => `/admin/clients/${encodeURIComponent(id)}`;

export function ClientsPage({ ctx, view }: { ctx: PageContext; view: ClientsView }) {
  const { t } = ctx;
  const words = t.admin.clientsPage;
  return (
    <AdminFrame ctx={ctx} section="clients" title={words.heading} notice={view.notice}>
      <h1>{words.heading}</h1>
      <p>{words.intro(ctx.productName)}</p>
      <section class="card">
        <h2 id="clients-list-heading">{words.listHeading}</h2>
        {view.clients.length === 0 ? (
          <p>{words.none}</p>
        ) : (
          <TableRegion labelledBy="clients-list-heading">
            <table>
              <thead>
                <tr>
                  <th scope="col">{words.columns.name}</th>
                  <th scope="col">{words.columns.type}</th>
                  <th scope="col">{words.columns.grantTypes}</th>
                  <th scope="col">{words.columns.created}</th>
                </tr>
              </thead>
              <tbody>
                {view.clients.map((client) => (
                  <tr key={client.id}>
                    <th scope="row">
                      <a href={clientPath(client.id)}>{client.name}</a>
                    </th>
                    <td>{words.types[client.type]}</td>
                    <td>{client.grantTypes.join(", ")}</td>
                    <td>
                      <Time ctx={ctx} at={client.createdAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
        )}
      </section>
      <section class="card">
        <h2 id="create-client-heading">{words.createHeading}</h2>
        <ErrorAlert
          message={view.problems === undefined ? undefined : words.invalid}
          details={view.problems ?? []}
        />
        <form method="post" action="/admin/clients" class="stack" novalidate>
          <CsrfField ctx={ctx} />
          <ClientSettingsFields
            ctx={ctx}
            idPrefix="new-client"
            form={view.form}
            allowedScopes={view.allowedScopes}
          />
          <div class="actions">
            <button type="submit">{words.createSubmit}</button>
          </div>
        </form>
      </section>
    </AdminFrame>
  );
}

/**
 * The settings of a client as form fields. `type` is chosen only when registering (`typeFixed`
 * hides it: a client's type never changes).
 */
export function ClientSettingsFields({
  ctx,
  idPrefix,
  form,
  allowedScopes,
  typeFixed = false,
}: {
  ctx: PageContext;
  idPrefix: string;
  form: ClientForm;
  allowedScopes: readonly string[];
  typeFixed?: boolean;
}) {
  const words = ctx.t.admin.clientsPage;
  // A scope the client holds but the server no longer offers stays visible, so it can be removed.
  const scopes = [...new Set([...allowedScopes, ...form.scopes])];
  return (
    <>
      <Field
        id={`${idPrefix}-name`}
        name="name"
        label={words.name}
        hint={words.nameHint}
        value={form.name}
        autocomplete="off"
        required
        maxLength={100}
      />
      {typeFixed ? null : (
        <fieldset class="scopes">
          <legend>{words.type}</legend>
          {CLIENT_TYPES.map((type) => (
            <div class="radio" key={type}>
              <input
                type="radio"
                id={`${idPrefix}-type-${type}`}
                name="type"
                value={type}
                checked={form.type === type}
                aria-describedby={`${idPrefix}-type-${type}-hint`}
              />
              <span>
                <label for={`${idPrefix}-type-${type}`}>{words.types[type]}</label>
                <br />
                <span class="muted" id={`${idPrefix}-type-${type}-hint`}>
                  {words.typeHints[type]}
                </span>
              </span>
            </div>
          ))}
        </fieldset>
      )}
      <fieldset class="scopes">
        <legend>{words.grantTypesLegend}</legend>
        {GRANT_TYPES.map((grant) => (
          <div class="checkbox" key={grant}>
            <input
              type="checkbox"
              id={`${idPrefix}-grant-${idPart(grant)}`}
              name={grantFieldName(grant)}
              checked={form.grantTypes.includes(grant)}
            />
            <label for={`${idPrefix}-grant-${idPart(grant)}`}>{words.grantTypes[grant]}</label>
          </div>
        ))}
      </fieldset>
      <TextareaField
        id={`${idPrefix}-redirect-uris`}
        name="redirectUris"
        label={words.redirectUris}
        hint={words.redirectUrisHint}
        value={form.redirectUris}
      />
      <TextareaField
        id={`${idPrefix}-post-logout-redirect-uris`}
        name="postLogoutRedirectUris"
        label={words.postLogoutRedirectUris}
        hint={words.postLogoutRedirectUrisHint}
        value={form.postLogoutRedirectUris}
      />
      <fieldset class="scopes" aria-describedby={`${idPrefix}-scopes-hint`}>
        <legend>{words.scopesLegend}</legend>
        <p class="hint muted" id={`${idPrefix}-scopes-hint`}>
          {words.scopesHint}
        </p>
        {scopes.map((scope) => (
          <div class="checkbox" key={scope}>
            <input
              type="checkbox"
              id={`${idPrefix}-scope-${idPart(scope)}`}
              name={scopeFieldName(scope)}
              checked={form.scopes.includes(scope)}
            />
            <label for={`${idPrefix}-scope-${idPart(scope)}`}>{scope}</label>
          </div>
        ))}
      </fieldset>
      <div class="field">
        <div class="checkbox">
          <input
            type="checkbox"
            id={`${idPrefix}-first-party`}
            name="firstParty"
            checked={form.firstParty}
            aria-describedby={`${idPrefix}-first-party-hint`}
          />
          <label for={`${idPrefix}-first-party`}>{words.firstParty}</label>
        </div>
        <span class="hint" id={`${idPrefix}-first-party-hint`}>
          {words.firstPartyHint}
        </span>
      </div>
      <Field
        id={`${idPrefix}-backchannel-logout-uri`}
        name="backchannelLogoutUri"
        type="url"
        label={words.backchannelLogoutUri}
        hint={words.backchannelLogoutUriHint}
        value={form.backchannelLogoutUri}
        autocomplete="off"
        maxLength={2000}
      />
    </>
  );
}

function TextareaField(props: { id: string; name: string; label: string; hint: string; value: string }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <span class="hint" id={`${props.id}-hint`}>
        {props.hint}
      </span>
      <textarea
        id={props.id}
        name={props.name}
        rows={3}
        spellcheck={false}
        autocomplete="off"
        aria-describedby={`${props.id}-hint`}
      >
        {props.value}
      </textarea>
    </div>
  );
}
