/**
 * "Connected accounts": the social-login identities linked to the account, each with "Unlink",
 * and a "Link <provider>" link for every configured provider not linked yet. Linking starts the
 * provider flow with `link=1` on the cookie session, which needs a recent sign-in: while it is
 * recent the link goes straight to the provider, otherwise to `/account/link/<provider>`, which
 * asks for the step-up in place and then goes on to the provider.
 */
import { CsrfField } from "../components/form.js";
import type { PageContext } from "../page-context.js";
import { providerDisplayName } from "../sign-in/sign-in-pages.js";
import { DateTime, Section } from "./account-parts.js";
import type { AccountData, SectionState } from "./account-view.js";

/** Where the provider flow for linking `provider` starts (API.md "Social login"). */
export function linkStartUrl(publicUrl: string, provider: string): string {
  const back = encodeURIComponent(`${publicUrl}/account`);
  return `/v1/oauth/${encodeURIComponent(provider)}/start?transport=cookie&link=1&redirectTo=${back}`;
}

export function ConnectedAccountsSection({
  ctx,
  data,
  state,
}: {
  ctx: PageContext;
  data: AccountData;
  state: SectionState | undefined;
}) {
  const words = ctx.t.account.connected;
  const linked = new Set(data.identities.map((identity) => identity.provider));
  const available = data.providerIds.filter((id) => !linked.has(id));
  return (
    <Section ctx={ctx} id="connected-accounts" title={words.heading} data={data} state={state}>
      <p>{words.intro}</p>
      {data.identities.length === 0 ? (
        <p class="muted">{words.none}</p>
      ) : (
        <ul class="plain">
          {data.identities.map((identity) => {
            const labelId = `identity-${identity.id}`;
            return (
              <li key={identity.id}>
                <div>
                  <strong id={labelId}>{providerDisplayName(identity.provider)}</strong>
                  {identity.email === null ? null : <> · {identity.email}</>}
                  <br />
                  <span class="muted">
                    {words.since} <DateTime ctx={ctx} ms={identity.createdAt} dateOnly />
                  </span>
                </div>
                <form method="post" action={`/account/identities/${encodeURIComponent(identity.id)}/unlink`}>
                  <CsrfField ctx={ctx} />
                  <button type="submit" class="secondary" aria-describedby={labelId}>
                    {words.unlink}
                  </button>
                </form>
              </li>
            );
          })}
        </ul>
      )}
      {available.length === 0 ? null : (
        <div class="actions">
          {available.map((provider) => (
            <a
              class="button secondary"
              key={provider}
              href={
                data.recent
                  ? linkStartUrl(ctx.publicUrl, provider)
                  : `/account/link/${encodeURIComponent(provider)}`
              }
            >
              {words.link(providerDisplayName(provider))}
            </a>
          ))}
        </div>
      )}
    </Section>
  );
}
