/**
 * `GET /account`, the security centre (API.md "Pages for people"): one page, one section per
 * concern — Profile, Password, Email, Two-factor authentication, Passkeys, Devices, Connected
 * accounts, API keys, Security events, Delete account — each a region named by its heading,
 * where its notices, errors and step-up prompts appear in place.
 */
import { CsrfField, Notice } from "../components/form.js";
import { Layout } from "../components/layout.js";
import type { PageContext } from "../page-context.js";
import type { AccountData, AccountState } from "./account-view.js";
import { ApiKeysSection } from "./api-keys-section.js";
import { ConnectedAccountsSection } from "./connected-accounts-section.js";
import { ConnectedAppsSection } from "./connected-apps-section.js";
import { DevicesSection } from "./devices-section.js";
import { DeleteAccountSection, SecurityEventsSection } from "./events-section.js";
import { PasskeysSection } from "./passkeys-section.js";
import { EmailSection, PasswordSection, ProfileSection } from "./profile-sections.js";
import { TwoFactorSection } from "./two-factor-section.js";

export interface AccountPageProps {
  ctx: PageContext;
  data: AccountData;
  state: AccountState;
}

export function AccountPage({ ctx, data, state }: AccountPageProps) {
  const { t } = ctx;
  const words = t.account;
  const { sections } = state;
  const who = data.user.name === null || data.user.name === "" ? data.user.email : data.user.name;
  const welcome = state.verifyNotice === true && !data.user.emailVerified;
  return (
    <Layout
      ctx={ctx}
      title={words.title}
      scripts={[ctx.assets.url("account.js"), ctx.assets.url("password-feedback.js")]}
    >
      <h1>{words.heading}</h1>
      <p class="muted account-who">{words.signedInAs(who)}</p>
      {welcome ? (
        <Notice>
          <p>{words.email.verifyNotice(data.user.email)}</p>
          <form method="post" action="/account/email/resend">
            <CsrfField ctx={ctx} />
            <button type="submit" class="secondary">
              {words.email.resend}
            </button>
          </form>
        </Notice>
      ) : null}
      <ProfileSection ctx={ctx} data={data} state={sections.profile} />
      <PasswordSection ctx={ctx} data={data} state={sections.password} />
      <EmailSection ctx={ctx} data={data} state={sections.email} offerResend={!welcome} />
      <TwoFactorSection ctx={ctx} data={data} state={sections["two-factor"]} page={state} />
      <PasskeysSection ctx={ctx} data={data} state={sections.passkeys} />
      <DevicesSection ctx={ctx} data={data} state={sections.devices} />
      <ConnectedAccountsSection ctx={ctx} data={data} state={sections["connected-accounts"]} />
      <ConnectedAppsSection ctx={ctx} data={data} state={sections["connected-apps"]} />
      <ApiKeysSection ctx={ctx} data={data} state={sections["api-keys"]} page={state} />
      <SecurityEventsSection ctx={ctx} data={data} state={sections["security-events"]} />
      <DeleteAccountSection ctx={ctx} data={data} state={sections["delete-account"]} />
    </Layout>
  );
}
