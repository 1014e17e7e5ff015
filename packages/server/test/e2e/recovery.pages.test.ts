/**
 * The pages the recovery mails lead to, in Chromium. Forgot password answers every address alike;
 * the mailed reset link sets a new password (a weak one is explained in words and the link still
 * works), ends every session — another browser that was signed in is signed out — and signs
 * nobody in; the new password then signs in and the link, opened again, says it was used.
 * Opening a verification or email-change link changes nothing (mail scanners open links): only
 * its button does, once. A signed-in person with an unconfirmed address can ask for a new link.
 */
import type { BrowserContext, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { setCookie } from "../support/cookies.js";
import { latestMailTo, mailsTo } from "../support/mail-outbox-folder.js";
import { linkIn } from "../support/smtp-peer.js";
import { bearer, uniqueEmail } from "../support/test-app.js";
import {
  browserSuitesEnabled,
  expectAccessible,
  STRONG_PASSWORD,
  saveScreenshot,
  signInThroughForm,
  usePagesFixture,
} from "./support/pages-fixture.js";

const NEW_PASSWORD = "marble-Teapot-58-horizon";
const RESET = /^Reset your/;
const VERIFICATION = /^Confirm your email address/;
const CHANGE = /^Confirm your new email address/;
/** Any well-formed token: the GET of a link page shows a button whatever the token is. */
const SOME_TOKEN = "A".repeat(43);

/** Every page and notice of this area, for the accessibility checks and the screenshots. */
const VIEWS: {
  name: string;
  path: string;
  signedIn?: boolean;
  button?: string;
  textbox?: string;
  label?: string;
}[] = [
  { name: "forgot-password", path: "/forgot-password", button: "Send reset link", textbox: "Email" },
  { name: "forgot-password-sent", path: "/forgot-password/sent" },
  {
    name: "reset-password",
    path: `/reset-password?token=${SOME_TOKEN}`,
    button: "Set new password",
    label: "New password",
  },
  { name: "reset-password-invalid", path: "/reset-password" },
  { name: "reset-password-done", path: "/reset-password/done" },
  { name: "verify-email", path: `/verify-email?token=${SOME_TOKEN}`, button: "Verify email" },
  { name: "verify-email-status", path: "/verify-email?resent=1", signedIn: true, button: "Send a new link" },
  { name: "verify-email-done", path: "/verify-email/done" },
  {
    name: "confirm-email-change",
    path: `/confirm-email-change?token=${SOME_TOKEN}`,
    button: "Confirm new email",
  },
  { name: "confirm-email-change-invalid", path: "/confirm-email-change" },
  { name: "confirm-email-change-done", path: "/confirm-email-change/done" },
];

/** Clicks a form's button and waits for the page that answers (the next `load`, redirects followed). */
async function submit(page: Page, button: string): Promise<void> {
  const loaded = page.waitForEvent("load");
  await page.getByRole("button", { name: button }).click();
  await loaded;
}

describe.runIf(browserSuitesEnabled)("recovery pages", () => {
  const pages = usePagesFixture();

  async function registered(prefix: string): Promise<{ id: string; email: string }> {
    const email = uniqueEmail(prefix);
    const response = await pages.t.post("/v1/auth/register", { email, password: STRONG_PASSWORD });
    expect(response.statusCode).toBe(201);
    return { id: response.json<{ user: { id: string } }>().user.id, email };
  }

  /** A cookie session for `email`, put into `context` (as if signed in through the form). */
  async function signInContext(context: BrowserContext, email: string, password = STRONG_PASSWORD) {
    const login = await pages.t.post("/v1/auth/login", { email, password, transport: "cookie" });
    expect(login.statusCode).toBe(200);
    const cookie = setCookie(login, "pc_session");
    await context.addCookies([{ name: cookie.name, value: cookie.value, url: pages.baseUrl }]);
  }

  async function userOf(id: string) {
    const user = await pages.t.services.users.getUser(id);
    if (user === undefined) throw new Error(`no user ${id}`);
    return user;
  }

  it("answers every address alike, resets through the mailed link, ends every session, then signs in anew", async () => {
    const { email } = await registered("reset");
    const other = await pages.open();
    await signInThroughForm(other.page, email);
    expect((await other.page.request.get("/v1/me")).status()).toBe(200);

    const { page } = await pages.open();
    await page.goto("/login");
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    await page.waitForURL(`${pages.baseUrl}/forgot-password`);
    await page.getByRole("textbox", { name: "Email" }).fill(email);
    await submit(page, "Send reset link");
    expect(page.url()).toBe(`${pages.baseUrl}/forgot-password/sent`);
    const answer = await page.getByRole("main").textContent();
    expect(answer).toContain("If an account uses that address, we sent a link to it.");

    // An address without an account gets the very same page.
    const stranger = await pages.open();
    await stranger.page.goto("/forgot-password");
    await stranger.page.getByRole("textbox", { name: "Email" }).fill(uniqueEmail("nobody"));
    await submit(stranger.page, "Send reset link");
    expect(stranger.page.url()).toBe(`${pages.baseUrl}/forgot-password/sent`);
    await expect(stranger.page.getByRole("main").textContent()).resolves.toBe(answer);

    const link = linkIn(
      (await latestMailTo(pages.t, email, RESET)).text,
      `${pages.baseUrl}/reset-password?token=`,
    );
    await page.goto(link);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe(
      "Choose a new password",
    );
    // A weak password: the reasons in words, and the link still works.
    await page.getByLabel("New password").fill("Password1");
    await submit(page, "Set new password");
    await expect(page.getByRole("alert").textContent()).resolves.toContain(
      "This password appears in lists of breached passwords.",
    );
    await expect(page.getByLabel("New password").inputValue()).resolves.toBe("");
    await page.getByLabel("New password").fill(NEW_PASSWORD);
    await submit(page, "Set new password");
    expect(page.url()).toBe(`${pages.baseUrl}/reset-password/done`);
    await expect(page.getByRole("status").textContent()).resolves.toContain("signed out on every device");
    // Nobody was signed in by the reset.
    expect((await page.request.get("/v1/me")).status()).toBe(401);

    // The other browser's session ended: its next page load finds it signed out.
    expect((await other.page.request.get("/v1/me")).status()).toBe(401);
    await other.page.goto("/verify-email");
    await expect(other.page.getByRole("button", { name: "Sign out" }).count()).resolves.toBe(0);

    expect((await pages.t.post("/v1/auth/login", { email, password: STRONG_PASSWORD })).statusCode).toBe(401);
    await page.getByRole("link", { name: "Sign in" }).click();
    await page.waitForURL(`${pages.baseUrl}/login`);
    await signInThroughForm(page, email, NEW_PASSWORD);
    expect((await page.request.get("/v1/me")).status()).toBe(200);

    // The link a second time: used, in words, with the way to a new one.
    const again = await pages.open();
    await again.page.goto(link);
    await again.page.getByLabel("New password").fill("yet-Another-pass-91");
    await submit(again.page, "Set new password");
    await expect(again.page.getByRole("alert").textContent()).resolves.toContain(
      "This reset link is not valid any more: it was used already",
    );
    await expect(
      again.page.getByRole("link", { name: "Ask for a new reset link" }).getAttribute("href"),
    ).resolves.toBe("/forgot-password");
    await expectAccessible(again.page);
  });

  it("says an address that is not one in words on the forgot-password page", async () => {
    const { page } = await pages.open();
    await page.goto("/forgot-password");
    await page.getByRole("textbox", { name: "Email" }).fill("not-an-address");
    await submit(page, "Send reset link");
    await expect(page.getByRole("alert").count()).resolves.toBe(1);
    await expect(page.getByRole("main").textContent()).resolves.toContain(
      "Enter an email address in the form name@example.com.",
    );
    await expect(page.getByRole("textbox", { name: "Email" }).inputValue()).resolves.toBe("not-an-address");
  });

  it("confirms an address only when the button is pressed, once", async () => {
    const { id, email } = await registered("verify");
    const link = linkIn(
      (await latestMailTo(pages.t, email, VERIFICATION)).text,
      `${pages.baseUrl}/verify-email?token=`,
    );
    const { page } = await pages.open();
    await page.goto(link);
    await expect(page.getByRole("button", { name: "Verify email" }).count()).resolves.toBe(1);
    expect((await userOf(id)).emailVerified).toBe(false);
    await page.reload();
    expect((await userOf(id)).emailVerified).toBe(false);

    await submit(page, "Verify email");
    expect(page.url()).toBe(`${pages.baseUrl}/verify-email/done`);
    expect((await userOf(id)).emailVerified).toBe(true);

    await page.goto(link);
    await submit(page, "Verify email");
    await expect(page.getByRole("alert").textContent()).resolves.toContain(
      "This confirmation link is not valid any more",
    );
    await expect(page.getByRole("link", { name: "Sign in" }).getAttribute("href")).resolves.toBe(
      `/login?redirectTo=${encodeURIComponent("/verify-email")}`,
    );
  });

  it("sends a signed-in person with an unconfirmed address a new link", async () => {
    const { email } = await registered("resend");
    const { context, page } = await pages.open();
    await signInContext(context, email);
    await page.goto("/verify-email");
    await expect(page.getByRole("main").textContent()).resolves.toContain(`We sent a link to ${email}.`);
    const before = (await mailsTo(pages.t, email)).filter((mail) => VERIFICATION.test(mail.subject)).length;
    await submit(page, "Send a new link");
    expect(page.url()).toBe(`${pages.baseUrl}/verify-email?resent=1`);
    await expect(page.getByRole("status").textContent()).resolves.toContain("We sent a new link.");
    const after = (await mailsTo(pages.t, email)).filter((mail) => VERIFICATION.test(mail.subject));
    expect(after).toHaveLength(before + 1);

    // The newest link works; the signed-in page then says the address is confirmed.
    await page.goto(linkIn(after.at(-1)?.text ?? "", `${pages.baseUrl}/verify-email?token=`));
    await submit(page, "Verify email");
    await page.goto("/verify-email");
    await expect(page.getByRole("main").textContent()).resolves.toContain(
      `Your email address ${email} is confirmed.`,
    );
    await expect(page.getByRole("button", { name: "Send a new link" }).count()).resolves.toBe(0);
  });

  it("moves the account to the new address only when the button is pressed, once", async () => {
    const email = uniqueEmail("change-old");
    const newEmail = uniqueEmail("change-new");
    const tokens = await pages.t.signUp(email);
    const asked = await pages.t.post("/v1/me/email", { newEmail }, bearer(tokens.accessToken));
    expect(asked.statusCode).toBe(202);
    const link = linkIn(
      (await latestMailTo(pages.t, newEmail, CHANGE)).text,
      `${pages.baseUrl}/confirm-email-change?token=`,
    );
    const { page } = await pages.open();
    await page.goto(link);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe(
      "Confirm your new email address",
    );
    expect((await userOf(tokens.user.id)).email).toBe(email);

    await submit(page, "Confirm new email");
    expect(page.url()).toBe(`${pages.baseUrl}/confirm-email-change/done`);
    const moved = await userOf(tokens.user.id);
    expect(moved).toMatchObject({ email: newEmail, emailVerified: true });

    await page.goto(link);
    await submit(page, "Confirm new email");
    await expect(page.getByRole("alert").textContent()).resolves.toContain("This link is not valid any more");
    await expect(page.getByRole("link", { name: "Sign in" }).count()).resolves.toBe(1);
    expect((await userOf(tokens.user.id)).email).toBe(newEmail);
  });

  let looksEmail: string | undefined;
  for (const view of VIEWS) {
    it(`${view.name}: offers its controls, accessible and looking right in light and dark, wide and narrow`, async () => {
      if (view.signedIn === true) looksEmail ??= (await registered("looks")).email;
      for (const colorScheme of ["light", "dark"] as const) {
        for (const width of [1280, 375]) {
          const { context, page } = await pages.open({ colorScheme, width });
          if (looksEmail !== undefined && view.signedIn === true) await signInContext(context, looksEmail);
          await page.goto(view.path);
          await expect(page.getByRole("heading", { level: 1 }).count()).resolves.toBe(1);
          if (view.button !== undefined) {
            await expect(page.getByRole("button", { name: view.button }).count()).resolves.toBe(1);
          }
          if (view.textbox !== undefined) {
            await expect(page.getByRole("textbox", { name: view.textbox }).count()).resolves.toBe(1);
          }
          if (view.label !== undefined) await expect(page.getByLabel(view.label).count()).resolves.toBe(1);
          if (width === 1280) await expectAccessible(page);
          await saveScreenshot(page, `${view.name}-${colorScheme}-${width}`);
          await context.close();
        }
      }
    });
  }
});
