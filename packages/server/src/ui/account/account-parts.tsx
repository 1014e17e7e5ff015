/**
 * Parts every section of the account page uses: the section frame (a region named by its
 * heading, with its notice and error in place), the step-up form that stands in for a section's
 * content until the person confirms it is them, times in the person's language, copy buttons and
 * the list of backup codes.
 */
import type { ComponentChildren } from "preact";
import { dateTimeFormat } from "../components/date-format.js";
import { CsrfField, ErrorAlert, Notice } from "../components/form.js";
import type { PageContext } from "../page-context.js";
import type { AccountData, SectionId, SectionState, StepUpPrompt } from "./account-view.js";

export interface SectionProps {
  ctx: PageContext;
  id: SectionId;
  title: string;
  data: AccountData;
  state: SectionState | undefined;
  children: ComponentChildren;
}

/**
 * `<section aria-labelledby>` is a region named by its heading, so a person (and a test) can
 * find "the Sign out button in Devices" apart from the header's.
 */
export function Section({ ctx, id, title, data, state, children }: SectionProps) {
  return (
    <section class="card account-section" id={id} aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{title}</h2>
      {state?.notice === undefined ? null : (
        <Notice>
          <p>{state.notice}</p>
        </Notice>
      )}
      <ErrorAlert message={state?.error} details={state?.errorDetails ?? []} />
      {state?.stepUp === undefined ? (
        children
      ) : (
        <StepUpForm ctx={ctx} data={data} prompt={state.stepUp} idPrefix={id} />
      )}
    </section>
  );
}

/**
 * "Confirm it is you": the password, or — when the account has one — a code of the second
 * factor, posted to `/account/reauthenticate` with the act to carry on with.
 */
function StepUpForm({
  ctx,
  data,
  prompt,
  idPrefix,
}: {
  ctx: PageContext;
  data: AccountData;
  prompt: StepUpPrompt;
  idPrefix: string;
}) {
  const words = ctx.t.account.stepUp;
  const hidden = (
    <>
      <CsrfField ctx={ctx} />
      <input type="hidden" name="action" value={prompt.action} />
      {Object.entries(prompt.carry).map(([name, value]) => (
        <input type="hidden" name={name} value={value} key={name} />
      ))}
    </>
  );
  const offerCode = data.mfa.methods.includes("totp") || data.mfa.methods.includes("backup_code");
  const errorId = `${idPrefix}-step-up-error`;
  return (
    <div class="step-up stack">
      <div class="info">
        <p>{words.intro(data.stepUpMinutes)}</p>
      </div>
      {prompt.error === undefined ? null : (
        <div class="alert" role="alert" id={errorId}>
          <p>{prompt.error}</p>
        </div>
      )}
      <form method="post" action="/account/reauthenticate" class="stack">
        {hidden}
        <div class="field">
          <label for={`${idPrefix}-step-up-password`}>{words.password}</label>
          <input
            id={`${idPrefix}-step-up-password`}
            name="password"
            type="password"
            autocomplete="current-password"
            required
            autofocus
            aria-describedby={prompt.error === undefined ? undefined : errorId}
          />
        </div>
        <div class="actions">
          <button type="submit">{words.continue}</button>
          <a href={`/account#${idPrefix}`}>{words.cancel}</a>
        </div>
      </form>
      {offerCode ? (
        <form method="post" action="/account/reauthenticate" class="stack">
          {hidden}
          <div class="field">
            <label for={`${idPrefix}-step-up-code`}>{words.code}</label>
            <input
              id={`${idPrefix}-step-up-code`}
              name="code"
              type="text"
              inputMode="text"
              autocomplete="one-time-code"
              required
              maxLength={64}
            />
          </div>
          <div class="actions">
            <button type="submit" class="secondary">
              {words.useCode}
            </button>
          </div>
        </form>
      ) : null}
      <p class="muted">{words.noPassword}</p>
    </div>
  );
}

const DATE_ONLY: Intl.DateTimeFormatOptions = { year: "numeric", month: "short", day: "numeric" };
const DATE_TIME: Intl.DateTimeFormatOptions = {
  ...DATE_ONLY,
  hour: "2-digit",
  minute: "2-digit",
  timeZoneName: "short",
};

export function DateTime({
  ctx,
  ms,
  dateOnly = false,
}: {
  ctx: PageContext;
  ms: number;
  dateOnly?: boolean;
}) {
  const date = new Date(ms);
  return (
    <time datetime={date.toISOString()} data-local={dateOnly ? "date" : "datetime"}>
      {dateTimeFormat(ctx.locale.code, dateOnly ? DATE_ONLY : DATE_TIME).format(date)}
    </time>
  );
}

/** A button that copies the text of element `target` (hidden until the script is there to work it). */
export function CopyButton({ ctx, target, label }: { ctx: PageContext; target: string; label: string }) {
  return (
    <>
      <button
        type="button"
        class="secondary js-only"
        hidden
        data-copy={target}
        data-copied={ctx.t.account.copied}
        data-copy-failed={ctx.t.account.copyFailed}
      >
        {label}
      </button>
      <span class="muted" role="status" id={`${target}-copy-status`} />
    </>
  );
}

/** Backup codes shown once: the list, a text download, and a copy button. */
export function BackupCodes({
  ctx,
  codes,
  doneHref,
}: {
  ctx: PageContext;
  codes: string[];
  doneHref: string;
}) {
  const words = ctx.t.account.twoFactor;
  const file = `${words.codesFileHeading(ctx.productName)}\n\n${codes.join("\n")}\n`;
  return (
    <div class="backup-codes stack">
      <h3 id="backup-codes-heading">{words.codesHeading}</h3>
      <p>{words.codesIntro}</p>
      <ol class="codes" id="backup-codes-list" aria-labelledby="backup-codes-heading">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <div class="actions">
        <a
          class="button secondary"
          href={`data:text/plain;charset=utf-8,${encodeURIComponent(file)}`}
          download="backup-codes.txt"
        >
          {words.download}
        </a>
        <CopyButton ctx={ctx} target="backup-codes-list" label={words.copy} />
      </div>
      <p>
        <a href={doneHref}>{words.savedThem}</a>
      </p>
    </div>
  );
}
