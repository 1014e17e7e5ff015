/**
 * "Two-factor authentication": set up an authenticator app (the QR code and the secret as text,
 * then a first code turns it on and the backup codes appear, once), get new backup codes, turn
 * it off with a code or the password. The secret waiting for its first code comes from the
 * short-lived store (`shown-once.ts`), so a reload shows the same one.
 */
import { CsrfField, Field } from "../components/form.js";
import type { PageContext } from "../page-context.js";
import { BackupCodes, Section } from "./account-parts.js";
import type { AccountData, AccountState, SectionState } from "./account-view.js";

interface Props {
  ctx: PageContext;
  data: AccountData;
  state: SectionState | undefined;
  page: AccountState;
}

export function TwoFactorSection({ ctx, data, state, page }: Props) {
  const words = ctx.t.account.twoFactor;
  const enabled = data.mfa.totp === "enabled";
  return (
    <Section ctx={ctx} id="two-factor" title={words.heading} data={data} state={state}>
      {page.backupCodes === undefined ? null : (
        <BackupCodes ctx={ctx} codes={page.backupCodes} doneHref="/account#two-factor" />
      )}
      <p>
        {words.status} <span class={enabled ? "badge on" : "badge"}>{enabled ? words.on : words.off}</span>
      </p>
      {enabled ? (
        <TotpEnabled ctx={ctx} data={data} state={state} />
      ) : page.totpSetup === undefined ? (
        <>
          <p>{words.introOff}</p>
          <form method="post" action="/account/totp/setup">
            <CsrfField ctx={ctx} />
            <button type="submit">{words.setUp}</button>
          </form>
        </>
      ) : (
        <TotpSetup ctx={ctx} setup={page.totpSetup} state={state} />
      )}
      {!enabled && data.mfa.mfaEnabled ? <NewBackupCodes ctx={ctx} data={data} state={state} /> : null}
    </Section>
  );
}

function TotpSetup({
  ctx,
  setup,
  state,
}: {
  ctx: PageContext;
  setup: { secret: string; qrCode: string };
  state: SectionState | undefined;
}) {
  const words = ctx.t.account.twoFactor;
  return (
    <div class="totp-setup stack">
      <ol class="steps">
        <li>
          <p>{words.scanStep}</p>
          <img class="qr" src={setup.qrCode} alt={words.qrAlt} width={200} height={200} />
        </li>
        <li>
          <p>{words.secretStep}</p>
          <p>
            <code class="secret" id="totp-secret">
              {setup.secret}
            </code>
          </p>
        </li>
        <li>
          <form method="post" action="/account/totp/enable" class="stack">
            <CsrfField ctx={ctx} />
            <Field
              id="totp-code"
              name="code"
              label={words.code}
              hint={words.codeHint}
              inputMode="numeric"
              autocomplete="one-time-code"
              pattern="[0-9 ]{6,7}"
              maxLength={7}
              required
              autofocus
              error={state?.fieldErrors?.code}
            />
            <div class="actions">
              <button type="submit">{words.turnOn}</button>
              <a href="/account#two-factor">{words.cancel}</a>
            </div>
          </form>
        </li>
      </ol>
    </div>
  );
}

function TotpEnabled({
  ctx,
  data,
  state,
}: {
  ctx: PageContext;
  data: AccountData;
  state: SectionState | undefined;
}) {
  const words = ctx.t.account.twoFactor;
  return (
    <>
      <p>{words.introOn}</p>
      <NewBackupCodes ctx={ctx} data={data} state={state} />
      <details class="disclosure" open={state?.open === "totp-disable"}>
        <summary>{words.turnOffSummary}</summary>
        <form method="post" action="/account/totp/disable" class="stack">
          <CsrfField ctx={ctx} />
          <p>{words.turnOffIntro}</p>
          <Field
            id="totp-disable-code"
            name="code"
            label={words.code}
            hint={words.anyCodeHint}
            autocomplete="one-time-code"
            maxLength={64}
            error={state?.open === "totp-disable" ? state.fieldErrors?.code : undefined}
          />
          <Field
            id="totp-disable-password"
            name="password"
            type="password"
            label={words.orPassword}
            autocomplete="current-password"
          />
          <div class="actions">
            <button type="submit" class="danger">
              {words.turnOff}
            </button>
          </div>
        </form>
      </details>
    </>
  );
}

function NewBackupCodes({
  ctx,
  data,
  state,
}: {
  ctx: PageContext;
  data: AccountData;
  state: SectionState | undefined;
}) {
  const words = ctx.t.account.twoFactor;
  return (
    <details class="disclosure" open={state?.open === "backup-codes"}>
      <summary>{words.newCodesSummary}</summary>
      <form method="post" action="/account/backup-codes" class="stack">
        <CsrfField ctx={ctx} />
        <p>
          {words.codesLeft(data.mfa.backupCodesRemaining)} {words.newCodesIntro}
        </p>
        <Field
          id="backup-codes-code"
          name="code"
          label={words.code}
          hint={words.anyCodeHint}
          autocomplete="one-time-code"
          maxLength={64}
          required
          error={state?.open === "backup-codes" ? state.fieldErrors?.code : undefined}
        />
        <div class="actions">
          <button type="submit" class="secondary">
            {words.newCodesSubmit}
          </button>
        </div>
      </form>
    </details>
  );
}
