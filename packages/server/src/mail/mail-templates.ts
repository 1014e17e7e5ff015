/**
 * The built-in mail templates: for each kind a subject, a plain-text body and an HTML body, with
 * `{{name}}` placeholders. The HTML is deliberately plain: one column, system fonts, real text
 * (no images), a `lang`, link text that says where it goes and the address spelled out beside
 * it, colours with a contrast above WCAG AA. Every value is HTML-escaped when it goes into
 * HTML. A folder named by PORTCULLIS_MAIL_TEMPLATES may override any part (see mail-composer.ts).
 */
import type { MailKind } from "../domain/mail/mail-message.js";

export interface MailTemplate {
  subject: string;
  text: string;
  html: string;
}

/** Placeholders every template may use. */
export const COMMON_VARIABLES = ["productName", "email", "publicUrl"] as const;

/** The placeholders each kind offers on top of the common ones. */
export const KIND_VARIABLES: Record<MailKind, readonly string[]> = {
  email_verification: ["link", "expiresIn"],
  password_reset: ["link", "expiresIn", "time", "ip", "userAgent"],
  password_changed: ["time", "ip", "userAgent"],
  new_sign_in: ["time", "ip", "userAgent"],
  registration_attempt: ["time", "ip", "userAgent"],
  mfa_reset: ["time"],
  email_change: ["link", "expiresIn", "time", "ip", "userAgent"],
  email_change_notice: ["newEmail", "time", "ip", "userAgent"],
  email_change_attempt: ["time", "ip", "userAgent"],
  email_changed: ["newEmail", "time", "ip", "userAgent"],
  identity_linked: ["provider", "providerEmail", "time", "ip", "userAgent"],
  identities_unlinked: ["providers", "time", "ip", "userAgent"],
  account_deleted: ["time", "ip", "userAgent"],
  webhook_disabled: ["webhookId", "endpoint", "description", "failingSince"],
};

/** File-name stem of each kind in a template folder: `password-reset.subject.txt`, `.txt`, `.html`. */
export const KIND_FILE_STEMS: Record<MailKind, string> = {
  email_verification: "email-verification",
  password_reset: "password-reset",
  password_changed: "password-changed",
  new_sign_in: "new-sign-in",
  registration_attempt: "registration-attempt",
  mfa_reset: "mfa-reset",
  email_change: "email-change",
  email_change_notice: "email-change-notice",
  email_change_attempt: "email-change-attempt",
  email_changed: "email-changed",
  identity_linked: "identity-linked",
  identities_unlinked: "identities-unlinked",
  account_deleted: "account-deleted",
  webhook_disabled: "webhook-disabled",
};

const FOOTER_TEXT = `--
This message was sent by {{productName}} ({{publicUrl}}) to {{email}}.`;

function layout(title: string, content: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
</head>
<body style="margin:0;padding:24px;background:#ffffff;color:#1a1a1a;font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5">
<main style="max-width:560px;margin:0 auto">
${content}
<hr style="border:none;border-top:1px solid #d0d0d0;margin:32px 0 16px">
<p style="color:#4a4a4a;font-size:14px">This message was sent by {{productName}} (<a href="{{publicUrl}}" style="color:#1f4fd1">{{publicUrl}}</a>) to {{email}}.</p>
</main>
</body>
</html>
`;
}

function button(label: string): string {
  return `<p><a href="{{link}}" style="display:inline-block;padding:12px 20px;background:#1f4fd1;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:600">${label}</a></p>
<p>If the button does not work, copy this address into your browser:<br><a href="{{link}}" style="color:#1f4fd1;word-break:break-all">{{link}}</a></p>`;
}

const ORIGIN_HTML = `<ul>
<li>When: {{time}}</li>
<li>Address: {{ip}}</li>
<li>Browser or app: {{userAgent}}</li>
</ul>`;

const ORIGIN_TEXT = `When: {{time}}
Address: {{ip}}
Browser or app: {{userAgent}}`;

export const DEFAULT_TEMPLATES: Record<MailKind, MailTemplate> = {
  email_verification: {
    subject: "Confirm your email address for {{productName}}",
    text: `Hello,

Please confirm that {{email}} is your email address by opening this link:

{{link}}

The link works once and expires in {{expiresIn}}. If you did not create an account with {{productName}}, you can ignore this message.

${FOOTER_TEXT}
`,
    html: layout(
      "Confirm your email address",
      `<h1 style="font-size:22px">Confirm your email address</h1>
<p>Please confirm that {{email}} is your email address.</p>
${button("Confirm my email address")}
<p>The link works once and expires in {{expiresIn}}. If you did not create an account with {{productName}}, you can ignore this message.</p>`,
    ),
  },
  password_reset: {
    subject: "Reset your {{productName}} password",
    text: `Hello,

Someone asked to reset the password of the {{productName}} account for {{email}}. To choose a new password, open this link:

{{link}}

The link works once and expires in {{expiresIn}}. Resetting your password signs you out everywhere.

The request came from:
${ORIGIN_TEXT}

If you did not ask for this, ignore this message: your password stays as it is.

${FOOTER_TEXT}
`,
    html: layout(
      "Reset your password",
      `<h1 style="font-size:22px">Reset your password</h1>
<p>Someone asked to reset the password of the {{productName}} account for {{email}}.</p>
${button("Choose a new password")}
<p>The link works once and expires in {{expiresIn}}. Resetting your password signs you out everywhere.</p>
<p>The request came from:</p>
${ORIGIN_HTML}
<p>If you did not ask for this, ignore this message: your password stays as it is.</p>`,
    ),
  },
  password_changed: {
    subject: "Your {{productName}} password was changed",
    text: `Hello,

The password of the {{productName}} account for {{email}} was just changed.

${ORIGIN_TEXT}

If this was you, there is nothing to do. If it was not, reset your password at once and review your account at {{publicUrl}}.

${FOOTER_TEXT}
`,
    html: layout(
      "Your password was changed",
      `<h1 style="font-size:22px">Your password was changed</h1>
<p>The password of the {{productName}} account for {{email}} was just changed.</p>
${ORIGIN_HTML}
<p>If this was you, there is nothing to do. If it was not, reset your password at once and review your account at <a href="{{publicUrl}}" style="color:#1f4fd1">{{publicUrl}}</a>.</p>`,
    ),
  },
  new_sign_in: {
    subject: "New sign-in to your {{productName}} account",
    text: `Hello,

Your {{productName}} account ({{email}}) was just signed in to from a device we have not seen before.

${ORIGIN_TEXT}

If this was you, there is nothing to do. If it was not, change your password at once: that also signs out every other device.

${FOOTER_TEXT}
`,
    html: layout(
      "New sign-in to your account",
      `<h1 style="font-size:22px">New sign-in to your account</h1>
<p>Your {{productName}} account ({{email}}) was just signed in to from a device we have not seen before.</p>
${ORIGIN_HTML}
<p>If this was you, there is nothing to do. If it was not, change your password at once: that also signs out every other device.</p>`,
    ),
  },
  registration_attempt: {
    subject: "Someone tried to create a {{productName}} account with your address",
    text: `Hello,

Someone tried to create a new {{productName}} account with {{email}}, but you already have one.

${ORIGIN_TEXT}

If this was you: you can simply sign in, or reset your password if you forgot it. If it was not you, you can ignore this message; nothing was changed.

${FOOTER_TEXT}
`,
    html: layout(
      "Someone tried to register with your address",
      `<h1 style="font-size:22px">Someone tried to register with your address</h1>
<p>Someone tried to create a new {{productName}} account with {{email}}, but you already have one.</p>
${ORIGIN_HTML}
<p>If this was you: you can simply sign in, or reset your password if you forgot it. If it was not you, you can ignore this message; nothing was changed.</p>`,
    ),
  },
  mfa_reset: {
    subject: "Your {{productName}} two-factor methods were reset",
    text: `Hello,

An administrator of {{productName}} reset the two-factor sign-in methods of the account for {{email}} at {{time}}: its authenticator app, backup codes and passkeys were removed, and every device was signed out.

You can now sign in with your password alone. Set up two-factor authentication again as soon as you have signed in.

If you did not ask for this, contact your administrator at once and change your password.

${FOOTER_TEXT}
`,
    html: layout(
      "Your two-factor methods were reset",
      `<h1 style="font-size:22px">Your two-factor methods were reset</h1>
<p>An administrator of {{productName}} reset the two-factor sign-in methods of the account for {{email}} at {{time}}: its authenticator app, backup codes and passkeys were removed, and every device was signed out.</p>
<p>You can now sign in with your password alone. Set up two-factor authentication again as soon as you have signed in.</p>
<p>If you did not ask for this, contact your administrator at once and change your password.</p>`,
    ),
  },
  email_change: {
    subject: "Confirm your new email address for {{productName}}",
    text: `Hello,

Someone signed in to a {{productName}} account asked to change its email address to {{email}}. To confirm that this address is yours and make the change, open this link:

{{link}}

The link works once and expires in {{expiresIn}}. Until it is opened, the account keeps its current address.

The request came from:
${ORIGIN_TEXT}

If you did not ask for this, ignore this message: nothing changes.

${FOOTER_TEXT}
`,
    html: layout(
      "Confirm your new email address",
      `<h1 style="font-size:22px">Confirm your new email address</h1>
<p>Someone signed in to a {{productName}} account asked to change its email address to {{email}}.</p>
${button("Confirm my new email address")}
<p>The link works once and expires in {{expiresIn}}. Until it is opened, the account keeps its current address.</p>
<p>The request came from:</p>
${ORIGIN_HTML}
<p>If you did not ask for this, ignore this message: nothing changes.</p>`,
    ),
  },
  email_change_notice: {
    subject: "The email address of your {{productName}} account is being changed",
    text: `Hello,

Someone signed in to the {{productName}} account for {{email}} asked to change its email address to {{newEmail}}. The change takes effect only when it is confirmed from the new address; from then on, mail about the account goes there and {{email}} no longer signs in.

${ORIGIN_TEXT}

If this was you, there is nothing to do. If it was not, reset your password at once at {{publicUrl}}: that cancels the change and signs out every device.

${FOOTER_TEXT}
`,
    html: layout(
      "Your email address is being changed",
      `<h1 style="font-size:22px">Your email address is being changed</h1>
<p>Someone signed in to the {{productName}} account for {{email}} asked to change its email address to {{newEmail}}. The change takes effect only when it is confirmed from the new address; from then on, mail about the account goes there and {{email}} no longer signs in.</p>
${ORIGIN_HTML}
<p>If this was you, there is nothing to do. If it was not, reset your password at once at <a href="{{publicUrl}}" style="color:#1f4fd1">{{publicUrl}}</a>: that cancels the change and signs out every device.</p>`,
    ),
  },
  email_change_attempt: {
    subject: "Someone tried to move a {{productName}} account to your address",
    text: `Hello,

Someone signed in to another {{productName}} account asked to change its email address to {{email}}, which already belongs to your account. Nothing was changed: your account keeps this address.

${ORIGIN_TEXT}

If this was you, sign in to the account for {{email}} instead. If it was not, you can ignore this message.

${FOOTER_TEXT}
`,
    html: layout(
      "Someone tried to move an account to your address",
      `<h1 style="font-size:22px">Someone tried to move an account to your address</h1>
<p>Someone signed in to another {{productName}} account asked to change its email address to {{email}}, which already belongs to your account. Nothing was changed: your account keeps this address.</p>
${ORIGIN_HTML}
<p>If this was you, sign in to the account for {{email}} instead. If it was not, you can ignore this message.</p>`,
    ),
  },
  email_changed: {
    subject: "The email address of your {{productName}} account was changed",
    text: `Hello,

The email address of the {{productName}} account that was registered with {{email}} was changed to {{newEmail}}: the change was confirmed from the new address. From now on, mail about the account goes there and {{email}} no longer signs in.

${ORIGIN_TEXT}

If this was you, there is nothing to do. If it was not, contact your administrator at once: someone signed in to your account and moved it to an address you do not own.

${FOOTER_TEXT}
`,
    html: layout(
      "Your email address was changed",
      `<h1 style="font-size:22px">Your email address was changed</h1>
<p>The email address of the {{productName}} account that was registered with {{email}} was changed to {{newEmail}}: the change was confirmed from the new address. From now on, mail about the account goes there and {{email}} no longer signs in.</p>
${ORIGIN_HTML}
<p>If this was you, there is nothing to do. If it was not, contact your administrator at once: someone signed in to your account and moved it to an address you do not own.</p>`,
    ),
  },
  identity_linked: {
    subject: "A {{provider}} sign-in was connected to your {{productName}} account",
    text: `Hello,

A {{provider}} account ({{providerEmail}}) was connected to the {{productName}} account for {{email}}. Whoever controls that {{provider}} account can now sign in to yours with it.

${ORIGIN_TEXT}

If this was you (you signed up or signed in with {{provider}}, or connected it in your account settings), there is nothing to do. If it was not, reset your password at {{publicUrl}}: when you do, sign-in methods connected before your address was confirmed are removed and every device is signed out. Then review the connected accounts in your account settings.

${FOOTER_TEXT}
`,
    html: layout(
      "A sign-in method was connected to your account",
      `<h1 style="font-size:22px">A sign-in method was connected to your account</h1>
<p>A {{provider}} account ({{providerEmail}}) was connected to the {{productName}} account for {{email}}. Whoever controls that {{provider}} account can now sign in to yours with it.</p>
${ORIGIN_HTML}
<p>If this was you (you signed up or signed in with {{provider}}, or connected it in your account settings), there is nothing to do. If it was not, reset your password at <a href="{{publicUrl}}" style="color:#1f4fd1">{{publicUrl}}</a>: when you do, sign-in methods connected before your address was confirmed are removed and every device is signed out. Then review the connected accounts in your account settings.</p>`,
    ),
  },
  identities_unlinked: {
    subject: "Sign-in methods were removed from your {{productName}} account",
    text: `Hello,

You just showed that {{email}} is yours, with a link we mailed to it. Before that, these sign-in methods had been connected to the {{productName}} account for this address, while nobody had yet shown the address belonged to them:

{{providers}}

Anyone can claim an address at some providers, so we removed them and signed every device out.

${ORIGIN_TEXT}

If you connected them yourself, sign in and connect them again in your account settings (an account without a password gets one with "Forgot password" at {{publicUrl}}). If you did not, someone else had prepared a way into your account, and it is now closed.

${FOOTER_TEXT}
`,
    html: layout(
      "Sign-in methods were removed from your account",
      `<h1 style="font-size:22px">Sign-in methods were removed from your account</h1>
<p>You just showed that {{email}} is yours, with a link we mailed to it. Before that, these sign-in methods had been connected to the {{productName}} account for this address, while nobody had yet shown the address belonged to them:</p>
<p>{{providers}}</p>
<p>Anyone can claim an address at some providers, so we removed them and signed every device out.</p>
${ORIGIN_HTML}
<p>If you connected them yourself, sign in and connect them again in your account settings (an account without a password gets one with “Forgot password” at <a href="{{publicUrl}}" style="color:#1f4fd1">{{publicUrl}}</a>). If you did not, someone else had prepared a way into your account, and it is now closed.</p>`,
    ),
  },
  account_deleted: {
    subject: "Your {{productName}} account was deleted",
    text: `Hello,

The {{productName}} account for {{email}} was deleted by someone signed in to it, with its sessions, API keys and sign-in methods. Every device was signed out.

${ORIGIN_TEXT}

If this was you, there is nothing to do. If it was not, contact your administrator at once: someone had your password or a signed-in device.

${FOOTER_TEXT}
`,
    html: layout(
      "Your account was deleted",
      `<h1 style="font-size:22px">Your account was deleted</h1>
<p>The {{productName}} account for {{email}} was deleted by someone signed in to it, with its sessions, API keys and sign-in methods. Every device was signed out.</p>
${ORIGIN_HTML}
<p>If this was you, there is nothing to do. If it was not, contact your administrator at once: someone had your password or a signed-in device.</p>`,
    ),
  },
  webhook_disabled: {
    subject: "A {{productName}} webhook was turned off",
    text: `Hello,

You receive this as an administrator of {{productName}}. The webhook {{webhookId}} ({{description}}) to {{endpoint}} has failed every delivery since {{failingSince}}, so it was turned off. Its undelivered events wait; none are sent until it is turned on again.

Check that the endpoint is up and answers 2xx within 10 seconds, then turn the webhook on again (PATCH /v1/admin/webhooks/{{webhookId}} with {"enabled": true}) and retry the failed deliveries.

${FOOTER_TEXT}
`,
    html: layout(
      "A webhook was turned off",
      `<h1 style="font-size:22px">A webhook was turned off</h1>
<p>You receive this as an administrator of {{productName}}. The webhook {{webhookId}} ({{description}}) to {{endpoint}} has failed every delivery since {{failingSince}}, so it was turned off. Its undelivered events wait; none are sent until it is turned on again.</p>
<p>Check that the endpoint is up and answers 2xx within 10 seconds, then turn the webhook on again (<code>PATCH /v1/admin/webhooks/{{webhookId}}</code> with <code>{"enabled": true}</code>) and retry the failed deliveries.</p>`,
    ),
  },
};
