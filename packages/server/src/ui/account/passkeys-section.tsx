/**
 * "Passkeys": the account's passkeys (name, when added, when last used) with "Remove", and "Add a
 * passkey". Adding one is a WebAuthn ceremony, so it needs `client/account.ts`; the form also
 * posts to the server, which asks for the step-up in place when it is due (the script submits it
 * for that) and otherwise says JavaScript is needed. With the account's first second factor the
 * registration hands out backup codes, which the script shows in the panel below, once.
 */
import { CsrfField, Field } from "../components/form.js";
import type { PageContext } from "../page-context.js";
import { CopyButton, DateTime, Section } from "./account-parts.js";
import type { AccountData, SectionState } from "./account-view.js";

/** As `POST /v1/webauthn/registration` allows. */
export const PASSKEY_NAME_MAX_LENGTH = 100;

export function PasskeysSection({
  ctx,
  data,
  state,
}: {
  ctx: PageContext;
  data: AccountData;
  state: SectionState | undefined;
}) {
  const words = ctx.t.account.passkeys;
  const twoFactor = ctx.t.account.twoFactor;
  const { t } = ctx;
  const errorWords = {
    invalid_webauthn_response: t.errors.invalid_webauthn_response,
    rate_limited: t.errors.rate_limited,
    csrf_failed: t.errors.csrf_failed,
    invalid_token: t.errors.invalid_refresh_token,
    unauthenticated: t.errors.invalid_refresh_token,
    other: words.failed,
  };
  return (
    <Section ctx={ctx} id="passkeys" title={words.heading} data={data} state={state}>
      <p>{words.intro}</p>
      {data.passkeys.length === 0 ? (
        <p class="muted">{words.none}</p>
      ) : (
        <ul class="plain">
          {data.passkeys.map((passkey) => (
            <li key={passkey.id}>
              <div>
                <strong id={`passkey-${passkey.id}`}>{passkey.name}</strong>{" "}
                {passkey.deviceType === "multiDevice" ? <span class="badge">{words.synced}</span> : null}
                <br />
                <span class="muted">
                  {words.added} <DateTime ctx={ctx} ms={passkey.createdAt} dateOnly />
                  {" · "}
                  {passkey.lastUsedAt === null ? (
                    words.neverUsed
                  ) : (
                    <>
                      {words.lastUsed} <DateTime ctx={ctx} ms={passkey.lastUsedAt} />
                    </>
                  )}
                </span>
              </div>
              <form method="post" action={`/account/passkeys/${encodeURIComponent(passkey.id)}/remove`}>
                <CsrfField ctx={ctx} />
                <button type="submit" class="secondary" aria-describedby={`passkey-${passkey.id}`}>
                  {words.remove}
                </button>
              </form>
            </li>
          ))}
        </ul>
      )}
      <form
        method="post"
        action="/account/passkeys/add"
        class="stack passkey-add"
        id="passkey-add"
        data-options-url="/v1/webauthn/registration/options"
        data-register-url="/v1/webauthn/registration"
        data-done-url="/account?done=passkey-added#passkeys"
        data-unsupported={words.unsupported}
        data-cancelled={words.cancelled}
        data-exists={words.exists}
        data-working={words.working}
        data-errors={JSON.stringify(errorWords)}
      >
        <CsrfField ctx={ctx} />
        <Field
          id="passkey-name"
          name="name"
          label={words.label}
          hint={words.labelHint}
          maxLength={PASSKEY_NAME_MAX_LENGTH}
          value={state?.values?.name}
        />
        <div class="actions">
          <button type="submit">{words.add}</button>
        </div>
        <p class="muted" role="status" id="passkey-status" />
      </form>
      <div class="alert" role="alert" id="passkey-error" hidden />
      <div class="backup-codes stack" id="passkey-backup-codes" hidden>
        <h3 id="passkey-codes-heading">{twoFactor.codesHeading}</h3>
        <p>{words.codesIntro}</p>
        <ol class="codes" id="passkey-codes-list" aria-labelledby="passkey-codes-heading" />
        <div class="actions">
          <a
            class="button secondary"
            id="passkey-codes-download"
            href="data:text/plain;charset=utf-8,"
            download="backup-codes.txt"
            data-heading={twoFactor.codesFileHeading(ctx.productName)}
          >
            {twoFactor.download}
          </a>
          <CopyButton ctx={ctx} target="passkey-codes-list" label={twoFactor.copy} />
        </div>
        <p>
          <a href="/account?done=passkey-added#passkeys">{twoFactor.savedThem}</a>
        </p>
      </div>
    </Section>
  );
}
