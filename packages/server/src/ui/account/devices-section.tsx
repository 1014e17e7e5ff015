/**
 * "Devices": every live session of the account — this one marked "This device" — as the browser
 * and system in words, the address (and the place, once a GeoIP lookup exists), when it was last
 * seen and when it signed in; "Sign out" for each other device and "Sign out everywhere".
 */
import { CsrfField } from "../components/form.js";
import type { PageContext } from "../page-context.js";
import { DateTime, Section } from "./account-parts.js";
import type { AccountData, SectionState } from "./account-view.js";
import { describePlace, deviceInWords } from "./device-words.js";

export function DevicesSection({
  ctx,
  data,
  state,
}: {
  ctx: PageContext;
  data: AccountData;
  state: SectionState | undefined;
}) {
  const words = ctx.t.account.devices;
  // This device first, then the others as the service orders them (most recently seen first).
  const sessions = [...data.sessions].sort(
    (a, b) => Number(b.id === data.sessionId) - Number(a.id === data.sessionId),
  );
  return (
    <Section ctx={ctx} id="devices" title={words.heading} data={data} state={state}>
      <p>{words.intro}</p>
      <ul class="plain devices">
        {sessions.map((session) => {
          const current = session.id === data.sessionId;
          const labelId = `device-${session.id}`;
          const place = describePlace(ctx.locale.code, data.placeOf(session.ip));
          return (
            <li key={session.id}>
              <div>
                <strong id={labelId}>
                  {deviceInWords(ctx.t, session.userAgent)}
                  {session.transport === "token" ? ` (${words.app})` : ""}
                </strong>{" "}
                {current ? <span class="badge on">{words.thisDevice}</span> : null}
                <br />
                <span class="muted">
                  {place ?? (session.ip === null ? words.unknownAddress : words.address(session.ip))}
                  {" · "}
                  {words.lastSeen} <DateTime ctx={ctx} ms={session.lastSeenAt} />
                  {" · "}
                  {words.signedIn} <DateTime ctx={ctx} ms={session.createdAt} />
                </span>
              </div>
              {current ? null : (
                <form method="post" action={`/account/sessions/${encodeURIComponent(session.id)}/revoke`}>
                  <CsrfField ctx={ctx} />
                  <button type="submit" class="secondary" aria-describedby={labelId}>
                    {words.signOut}
                  </button>
                </form>
              )}
            </li>
          );
        })}
      </ul>
      <form method="post" action="/account/sessions/revoke-all" class="stack">
        <CsrfField ctx={ctx} />
        <p class="muted" id="sign-out-everywhere-hint">
          {words.everywhereHint}
        </p>
        <div class="actions">
          <button type="submit" class="danger" aria-describedby="sign-out-everywhere-hint">
            {words.signOutEverywhere}
          </button>
        </div>
      </form>
    </Section>
  );
}
