/**
 * "API keys": the account's live keys (name, the public prefix, scopes, created, last used,
 * expiry) with "Revoke", a new key shown this once with a copy button, and the form that creates
 * one (a name, what it may do, an optional expiry date).
 */
import { SCOPES } from "../../domain/authz/scopes.js";
import { CsrfField, Field } from "../components/form.js";
import type { PageContext } from "../page-context.js";
import { CopyButton, DateTime, Section } from "./account-parts.js";
import type { AccountData, AccountState, SectionState } from "./account-view.js";

/** As `POST /v1/api-keys` allows. */
export const API_KEY_NAME_MAX_LENGTH = 100;

/** The scopes offered as checkboxes; administrators also see the ones only they may use. */
export function offeredScopes(isAdmin: boolean): string[] {
  return isAdmin
    ? [SCOPES.eventsRead, SCOPES.adminRead, SCOPES.adminWrite, SCOPES.introspect]
    : [SCOPES.eventsRead];
}

/** The checkbox of a scope: one field per scope, since a form body keeps one value per name. */
export const scopeFieldName = (scope: string) => `scope:${scope}`;

export function ApiKeysSection({
  ctx,
  data,
  state,
  page,
}: {
  ctx: PageContext;
  data: AccountData;
  state: SectionState | undefined;
  page: AccountState;
}) {
  const words = ctx.t.account.apiKeys;
  const values = state?.values ?? {};
  const scopeWords: Record<string, string> = words.scopeNames;
  return (
    <Section ctx={ctx} id="api-keys" title={words.heading} data={data} state={state}>
      <p>{words.intro}</p>
      {page.newApiKey === undefined ? null : (
        <div class="new-key stack">
          <h3>{words.newKeyHeading(page.newApiKey.name)}</h3>
          <p>{words.newKeyIntro}</p>
          <p>
            <code class="secret" id="new-api-key">
              {page.newApiKey.key}
            </code>
          </p>
          <div class="actions">
            <CopyButton ctx={ctx} target="new-api-key" label={words.copy} />
          </div>
        </div>
      )}
      {data.apiKeys.length === 0 ? (
        <p class="muted">{words.none}</p>
      ) : (
        <ul class="plain">
          {data.apiKeys.map((key) => {
            const labelId = `api-key-${key.id}`;
            return (
              <li key={key.id}>
                <div>
                  <strong id={labelId}>{key.name}</strong> <code>{`${key.prefix}…`}</code>
                  <br />
                  <span class="muted">
                    {key.scopes.length === 0 ? words.noScopes : words.scopes(key.scopes.join(", "))}
                  </span>
                  <br />
                  <span class="muted">
                    {words.created} <DateTime ctx={ctx} ms={key.createdAt} dateOnly />
                    {" · "}
                    {key.lastUsedAt === null ? (
                      words.neverUsed
                    ) : (
                      <>
                        {words.lastUsed} <DateTime ctx={ctx} ms={key.lastUsedAt} />
                      </>
                    )}
                    {key.expiresAt === null ? null : (
                      <>
                        {" · "}
                        {words.expires} <DateTime ctx={ctx} ms={key.expiresAt} dateOnly />
                      </>
                    )}
                  </span>
                </div>
                <form method="post" action={`/account/api-keys/${encodeURIComponent(key.id)}/revoke`}>
                  <CsrfField ctx={ctx} />
                  <button type="submit" class="secondary" aria-describedby={labelId}>
                    {words.revoke}
                  </button>
                </form>
              </li>
            );
          })}
        </ul>
      )}
      <form method="post" action="/account/api-keys" class="stack api-key-create">
        <CsrfField ctx={ctx} />
        <h3>{words.createHeading}</h3>
        <Field
          id="api-key-name"
          name="name"
          label={words.name}
          hint={words.nameHint}
          value={values.name}
          required
          maxLength={API_KEY_NAME_MAX_LENGTH}
          error={state?.fieldErrors?.name}
        />
        <fieldset class="scopes">
          <legend>{words.scopesLegend}</legend>
          {offeredScopes(data.isAdmin).map((scope) => (
            <div class="checkbox" key={scope}>
              <input
                type="checkbox"
                id={`api-key-scope-${scope.replace(/[^a-z0-9]/gi, "-")}`}
                name={scopeFieldName(scope)}
                checked={values.scopes?.split(" ").includes(scope) ?? false}
              />
              <label for={`api-key-scope-${scope.replace(/[^a-z0-9]/gi, "-")}`}>
                {scopeWords[scope] ?? scope} <code>{scope}</code>
              </label>
            </div>
          ))}
        </fieldset>
        <Field
          id="api-key-other-scopes"
          name="otherScopes"
          label={words.otherScopes}
          hint={words.otherScopesHint}
          value={values.otherScopes}
          error={state?.fieldErrors?.otherScopes}
        />
        <div class="field">
          <label for="api-key-expires">{words.expiresOn}</label>
          <span class="hint" id="api-key-expires-hint">
            {words.expiresHint}
          </span>
          <input
            id="api-key-expires"
            name="expires"
            type="date"
            value={values.expires}
            aria-describedby={
              state?.fieldErrors?.expires === undefined
                ? "api-key-expires-hint"
                : "api-key-expires-hint api-key-expires-error"
            }
            aria-invalid={state?.fieldErrors?.expires === undefined ? undefined : "true"}
          />
          {state?.fieldErrors?.expires === undefined ? null : (
            <span class="field-error" id="api-key-expires-error">
              {state.fieldErrors.expires}
            </span>
          )}
        </div>
        <div class="actions">
          <button type="submit">{words.create}</button>
        </div>
      </form>
    </Section>
  );
}
