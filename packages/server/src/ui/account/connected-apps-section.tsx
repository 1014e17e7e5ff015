/**
 * "Connected apps": the apps (OAuth clients of the OpenID provider) the person allowed to use
 * their account, what each may do, and "Remove access", which withdraws the consent and revokes
 * what the app holds at once. Absent when this server is no OpenID provider.
 */
import { CsrfField } from "../components/form.js";
import type { PageContext } from "../page-context.js";
import { DateTime, Section } from "./account-parts.js";
import type { AccountData, SectionState } from "./account-view.js";

export function ConnectedAppsSection({
  ctx,
  data,
  state,
}: {
  ctx: PageContext;
  data: AccountData;
  state: SectionState | undefined;
}) {
  if (data.apps === null) return null;
  const { t } = ctx;
  const words = t.account.apps;
  return (
    <Section ctx={ctx} id="connected-apps" title={words.heading} data={data} state={state}>
      <p>{words.intro}</p>
      {data.apps.length === 0 ? (
        <p class="muted">{words.none}</p>
      ) : (
        <ul class="plain">
          {data.apps.map((app) => {
            const labelId = `app-${app.clientId}`;
            return (
              <li key={app.clientId}>
                <div>
                  <strong id={labelId}>{app.name}</strong>
                  <br />
                  <span class="muted">
                    {words.since} <DateTime ctx={ctx} ms={app.since} dateOnly />
                  </span>
                  <br />
                  <span>
                    {words.access}{" "}
                    {app.scopes
                      .map((scope) => t.consent.scopes[scope] ?? t.consent.apiScope(scope))
                      .join(" · ")}
                  </span>
                </div>
                <form method="post" action={`/account/apps/${encodeURIComponent(app.clientId)}/remove`}>
                  <CsrfField ctx={ctx} />
                  <button type="submit" class="secondary" aria-describedby={labelId}>
                    {words.remove}
                  </button>
                </form>
              </li>
            );
          })}
        </ul>
      )}
    </Section>
  );
}
