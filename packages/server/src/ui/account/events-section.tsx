/**
 * "Security events" (the page's `GET /v1/me/events`) and "Delete account". Events are sentences
 * with their time and where they came from; deleting the account needs a recent sign-in and a
 * ticked confirmation, then the person is signed out.
 */
import { CsrfField } from "../components/form.js";
import type { PageContext } from "../page-context.js";
import { DateTime, Section } from "./account-parts.js";
import { type AccountData, EVENTS_SHOWN, type SectionState } from "./account-view.js";
import { describePlace } from "./device-words.js";
import { eventInWords } from "./event-words.js";

interface Props {
  ctx: PageContext;
  data: AccountData;
  state: SectionState | undefined;
}

export function SecurityEventsSection({ ctx, data, state }: Props) {
  const words = ctx.t.account.events;
  return (
    <Section ctx={ctx} id="security-events" title={words.heading} data={data} state={state}>
      <p>{words.intro(EVENTS_SHOWN)}</p>
      {data.events.length === 0 ? (
        <p class="muted">{words.none}</p>
      ) : (
        <ol class="plain events">
          {data.events.map((event) => {
            const place = describePlace(ctx.locale.code, data.placeOf(event.ip));
            return (
              <li key={event.id}>
                <div>
                  {eventInWords(ctx.t, event)}
                  <br />
                  <span class="muted">
                    <DateTime ctx={ctx} ms={event.at} />
                    {place !== null
                      ? ` · ${place}`
                      : event.ip === null
                        ? null
                        : ` · ${words.address(event.ip)}`}
                  </span>
                </div>
              </li>
            );
          })}
        </ol>
      )}
    </Section>
  );
}

export function DeleteAccountSection({ ctx, data, state }: Props) {
  const words = ctx.t.account.deleteAccount;
  const error = state?.fieldErrors?.confirm;
  return (
    <Section ctx={ctx} id="delete-account" title={words.heading} data={data} state={state}>
      <p>{words.intro}</p>
      <form method="post" action="/account/delete" class="stack">
        <CsrfField ctx={ctx} />
        <div class="checkbox">
          <input
            type="checkbox"
            id="delete-confirm"
            name="confirm"
            required
            aria-invalid={error === undefined ? undefined : "true"}
            aria-describedby={error === undefined ? undefined : "delete-confirm-error"}
          />
          <label for="delete-confirm">{words.confirm}</label>
        </div>
        {error === undefined ? null : (
          <span class="field-error" id="delete-confirm-error">
            {error}
          </span>
        )}
        <div class="actions">
          <button type="submit" class="danger">
            {words.submit}
          </button>
        </div>
      </form>
    </Section>
  );
}
