import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createManualClock } from "../domain/clock.js";
import type { MailIntent, MailKind } from "../domain/mail/mail-message.js";
import {
  allowedVariables,
  createMailComposer,
  describeDuration,
  escapeHtml,
  loadMailTemplates,
  MailTemplateError,
  templateProblems,
} from "./mail-composer.js";
import { DEFAULT_TEMPLATES } from "./mail-templates.js";

const PUBLIC_URL = "https://auth.example.com";
const clock = createManualClock(Date.UTC(2026, 0, 1, 9, 30));
const origin = { at: clock.now(), ip: "203.0.113.7", userAgent: "Firefox/128.0" };
const LINK = `${PUBLIC_URL}/reset-password?token=abc_DEF-123`;

const INTENTS: Record<MailKind, MailIntent> = {
  email_verification: {
    kind: "email_verification",
    to: "ada@example.com",
    link: LINK,
    expiresAt: clock.now() + 86_400_000,
  },
  password_reset: {
    kind: "password_reset",
    to: "ada@example.com",
    link: LINK,
    expiresAt: clock.now() + 3_600_000,
    origin,
  },
  password_changed: { kind: "password_changed", to: "ada@example.com", origin },
  new_sign_in: { kind: "new_sign_in", to: "ada@example.com", origin },
  registration_attempt: { kind: "registration_attempt", to: "ada@example.com", origin },
  mfa_reset: { kind: "mfa_reset", to: "ada@example.com", at: clock.now() },
  email_change: {
    kind: "email_change",
    to: "ada@example.com",
    link: `${PUBLIC_URL}/confirm-email-change?token=abc_DEF-123`,
    expiresAt: clock.now() + 3_600_000,
    origin,
  },
  email_change_notice: {
    kind: "email_change_notice",
    to: "ada@example.com",
    newEmail: "ada.lovelace@example.org",
    origin,
  },
  email_change_attempt: { kind: "email_change_attempt", to: "ada@example.com", origin },
  email_changed: {
    kind: "email_changed",
    to: "ada@example.com",
    newEmail: "ada.lovelace@example.org",
    origin,
  },
  identity_linked: {
    kind: "identity_linked",
    to: "ada@example.com",
    provider: "google",
    providerEmail: "ada.l@gmail.example",
    origin,
  },
  identities_unlinked: {
    kind: "identities_unlinked",
    to: "ada@example.com",
    providers: ["google (ada@example.com)", "github (ada@example.com)"],
    origin,
  },
  account_deleted: { kind: "account_deleted", to: "ada@example.com", origin },
  webhook_disabled: {
    kind: "webhook_disabled",
    to: "ada@example.com",
    webhookId: "6d3f0c2e-0000-4000-8000-000000000001",
    endpoint: "https://hooks.example.com",
    description: "billing sync",
    failingSince: clock.now() - 86_400_000,
  },
};

let folders: string[] = [];
afterEach(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  folders = [];
});
function templateFolder(files: Record<string, string>): string {
  const folder = mkdtempSync(join(tmpdir(), "portcullis-templates-"));
  folders.push(folder);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(folder, name), text);
  return folder;
}

const composer = (templatesDir?: string) =>
  createMailComposer({ productName: "Portcullis", publicUrl: PUBLIC_URL, clock, templatesDir });

describe("built-in templates", () => {
  it.each(Object.keys(DEFAULT_TEMPLATES) as MailKind[])("%s uses only the placeholders it offers", (kind) => {
    for (const part of Object.values(DEFAULT_TEMPLATES[kind])) {
      expect(templateProblems(part, allowedVariables(kind))).toEqual([]);
    }
  });

  it.each(Object.values(INTENTS))("renders $kind as plain text and accessible HTML", (intent) => {
    const mail = composer().compose(intent);
    expect(mail.to).toBe("ada@example.com");
    expect(mail.subject).not.toMatch(/[\r\n{}]/);
    expect(mail.text).not.toContain("{{");
    expect(mail.html).not.toContain("{{");
    expect(mail.html).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(mail.html).toContain('<meta charset="utf-8">');
    expect(mail.html).not.toMatch(/<script|<img|<style/i);
  });

  it("puts the link in both bodies, and tells how long it works", () => {
    const mail = composer().compose(INTENTS.password_reset);
    expect(mail.text).toContain(LINK);
    expect(mail.html).toContain(`href="${LINK}"`);
    expect(mail.text).toContain("expires in 1 hour");
    expect(composer().compose(INTENTS.email_verification).text).toContain("expires in 24 hours");
  });

  it("names the new address in the notice to the old one, and links only the new one", () => {
    const notice = composer().compose(INTENTS.email_change_notice);
    expect(notice.text).toContain("to ada.lovelace@example.org");
    expect(notice.text).not.toContain("token=");
    const confirmation = composer().compose(INTENTS.email_change);
    expect(confirmation.text).toContain(`${PUBLIC_URL}/confirm-email-change?token=abc_DEF-123`);
    expect(confirmation.text).toContain("expires in 1 hour");
  });

  it("tells the old address where the account moved once the change is confirmed", () => {
    const mail = composer().compose(INTENTS.email_changed);
    expect(mail.subject).toBe("The email address of your Portcullis account was changed");
    expect(mail.text).toContain("was changed to ada.lovelace@example.org");
    expect(mail.text).not.toContain("token=");
  });

  it("names the provider and the address it gave in the link notice, and says so when it gave none", () => {
    const mail = composer().compose(INTENTS.identity_linked);
    expect(mail.subject).toBe("A google sign-in was connected to your Portcullis account");
    expect(mail.text).toContain("A google account (ada.l@gmail.example) was connected");
    const none = composer().compose({ ...INTENTS.identity_linked, providerEmail: null } as MailIntent);
    expect(none.text).toContain("(no address given)");
  });

  it("lists every unlinked identity in one notice", () => {
    const mail = composer().compose(INTENTS.identities_unlinked);
    expect(mail.text).toContain("google (ada@example.com), github (ada@example.com)");
    expect(mail.html).toContain("google (ada@example.com), github (ada@example.com)");
  });

  it("escapes the address a provider gave, which anyone may choose", () => {
    const mail = composer().compose({
      ...INTENTS.identity_linked,
      providerEmail: '"<img src=x>"@evil.example',
    } as MailIntent);
    expect(mail.html).toContain("&quot;&lt;img src=x&gt;&quot;@evil.example");
    expect(mail.html).not.toContain("<img");
  });

  it("says when and from where, in UTC", () => {
    const mail = composer().compose(INTENTS.new_sign_in);
    expect(mail.text).toContain("2026-01-01 09:30 UTC");
    expect(mail.text).toContain("203.0.113.7");
    expect(mail.text).toContain("Firefox/128.0");
  });
});

describe("values from the request", () => {
  const hostile = {
    at: clock.now(),
    ip: null,
    userAgent: '<b onmouseover="x">bold</b>\r\nBcc: eve@example.com & more',
  };

  it("are HTML-escaped in HTML", () => {
    const mail = composer().compose({ kind: "new_sign_in", to: "ada@example.com", origin: hostile });
    expect(mail.html).toContain("&lt;b onmouseover=&quot;x&quot;&gt;bold&lt;/b&gt;");
    expect(mail.html).toContain("&amp; more");
    expect(mail.html).not.toContain("<b ");
  });

  it("cannot add lines: control characters become spaces", () => {
    const mail = composer().compose({ kind: "new_sign_in", to: "ada@example.com", origin: hostile });
    expect(mail.text).not.toMatch(/\r|\nBcc:/);
    expect(mail.text).toContain("</b> Bcc: eve@example.com");
  });

  it("say unknown for what is not known, and cut an over-long user agent", () => {
    const long = { at: clock.now(), ip: null, userAgent: "x".repeat(1000) };
    const mail = composer().compose({ kind: "new_sign_in", to: "ada@example.com", origin: long });
    expect(mail.text).toContain("Address: unknown");
    expect(mail.text).not.toContain("x".repeat(201));
  });
});

describe("templates from a folder (PORTCULLIS_MAIL_TEMPLATES)", () => {
  it("overrides the parts it has and keeps the built-in others", () => {
    const folder = templateFolder({
      "password-reset.subject.txt": "Reset for {{email}}\n",
      "password-reset.html": "<p>Go to <a href='{{link}}'>{{link}}</a> ({{productName}})</p>",
      "README.md": "notes are ignored",
    });
    const mail = composer(folder).compose(INTENTS.password_reset);
    expect(mail.subject).toBe("Reset for ada@example.com");
    expect(mail.html).toBe(`<p>Go to <a href='${LINK}'>${LINK}</a> (Portcullis)</p>`);
    expect(mail.text).toContain("Someone asked to reset the password");
  });

  it("escapes values in an overriding HTML template too", () => {
    const folder = templateFolder({ "new-sign-in.html": "<p>{{userAgent}}</p>" });
    const mail = composer(folder).compose({
      kind: "new_sign_in",
      to: "ada@example.com",
      origin: { at: 0, ip: null, userAgent: "<script>x</script>" },
    });
    expect(mail.html).toBe("<p>&lt;script&gt;x&lt;/script&gt;</p>");
  });

  it("refuses a folder with problems at start, naming every one", () => {
    const folder = templateFolder({
      "password-reset.txt": "Hello {{name}}, {{link}}",
      "email-verification.subject.txt": "line one\nline two",
      "password-rest.html": "<p>typo</p>",
      "new-sign-in.txt": "{{ time } and {{ip}}",
    });
    let error: unknown;
    try {
      loadMailTemplates(folder);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MailTemplateError);
    const problems = (error as MailTemplateError).problems.join("\n");
    expect(problems).toContain("password-reset.txt: unknown placeholder {{name}}");
    expect(problems).toContain("email-verification.subject.txt: a subject is one non-empty line");
    expect(problems).toContain("password-rest.html: no such mail");
    expect(problems).toContain("new-sign-in.txt: a `{{` that does not open a valid placeholder");
    expect((error as Error).message).toContain("PORTCULLIS_MAIL_TEMPLATES");
  });

  it("refuses a folder that cannot be read", () => {
    expect(() => loadMailTemplates(join(tmpdir(), "portcullis-no-such-folder"))).toThrow(MailTemplateError);
  });
});

describe("helpers", () => {
  it("escapeHtml escapes the five characters that matter", () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;",
    );
  });

  it.each([
    [3_600_000, "1 hour"],
    [3_599_000, "1 hour"],
    [86_400_000, "24 hours"],
    [15 * 60_000, "15 minutes"],
    [60_000, "1 minute"],
    [0, "1 minute"],
  ])("describeDuration(%i) is %s", (ms, text) => {
    expect(describeDuration(ms)).toBe(text);
  });
});
