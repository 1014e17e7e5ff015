/**
 * The sign-up page in Chromium: a person creates an account, is signed in on a cookie session and
 * lands on the account with a notice to confirm the address; the mailed link opens a page whose
 * GET changes nothing, and only its "Verify email" button confirms the address; they sign out and
 * back in. A refused password is explained in words — after submitting with JavaScript off, and
 * live while typing with it on (the breached-list verdict from the server) — and a taken address
 * likewise; the typed email and name are kept, the password never.
 */
import type { Locator, Page } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { latestMailTo } from "../support/mail-outbox-folder.js";
import { linkIn } from "../support/smtp-peer.js";
import { uniqueEmail } from "../support/test-app.js";
import {
  browserSuitesEnabled,
  expectAccessible,
  STRONG_PASSWORD,
  saveScreenshot,
  signInThroughForm,
  usePagesFixture,
} from "./support/pages-fixture.js";

const VERIFICATION = /^Confirm your email address/;
/** On the breached-password list (the policy's own example). */
const BREACHED_PASSWORD = "Password1";
const BREACHED_REASON = "This password appears in lists of breached passwords. Choose another.";
const SHORT_REASON = "Use at least 8 characters.";
const EMAIL_REASON = "Do not use your email address as the password.";

/** The words of everything an element's `aria-describedby` names (what a screen reader reads with it). */
function description(field: Locator): Promise<string> {
  return field.evaluate((element) =>
    (element.getAttribute("aria-describedby") ?? "")
      .split(/\s+/)
      .map((id) => document.getElementById(id)?.textContent ?? "")
      .join(" "),
  );
}

/** Waits (on the page's own frames, no timer of ours) until the field's description contains `text`. */
async function waitForDescription(field: Locator, text: string): Promise<void> {
  const ids = await field.evaluate((element) =>
    (element.getAttribute("aria-describedby") ?? "").split(/\s+/),
  );
  await field
    .page()
    .waitForFunction(
      ({ ids, text }) => ids.some((id) => document.getElementById(id)?.textContent?.includes(text) === true),
      { ids, text },
    );
}

/** Clicks a form's button and waits for the page that answers (the next `load`, redirects followed). */
async function submit(page: Page, button: string): Promise<void> {
  const loaded = page.waitForEvent("load");
  await page.getByRole("button", { name: button }).click();
  await loaded;
}

describe.runIf(browserSuitesEnabled)("sign-up page", () => {
  const pages = usePagesFixture();
  const closeLater: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const context of closeLater) await context.close().catch(() => {});
  });

  async function meOf(page: Page) {
    const response = await page.request.get("/v1/me");
    expect(response.status()).toBe(200);
    return (
      (await response.json()) as { user: { email: string; emailVerified: boolean; name: string | null } }
    ).user;
  }

  async function fillRegistration(page: Page, fields: { email: string; password: string; name?: string }) {
    await page.getByRole("textbox", { name: "Email" }).fill(fields.email);
    await page.getByLabel("Password", { exact: true }).fill(fields.password);
    if (fields.name !== undefined) await page.getByRole("textbox", { name: "Name" }).fill(fields.name);
  }

  it("offers the controls the contract names, accessible in light and dark", async () => {
    for (const colorScheme of ["light", "dark"] as const) {
      const { page } = await pages.open({ colorScheme });
      await page.goto("/register");
      await expect(page.title()).resolves.toMatch(/Create an account/);
      expect(await page.getAttribute("html", "lang")).toBe("en");
      await expect(page.getByRole("heading", { level: 1 }).count()).resolves.toBe(1);
      await expect(page.getByRole("textbox", { name: "Email" }).count()).resolves.toBe(1);
      await expect(page.getByLabel("Password", { exact: true }).count()).resolves.toBe(1);
      await expect(page.getByRole("textbox", { name: "Name" }).count()).resolves.toBe(1);
      await expect(page.getByRole("button", { name: "Create account" }).count()).resolves.toBe(1);
      await expectAccessible(page);
    }
  });

  it("signs up, confirms the address through the mailed link, signs out and back in", async () => {
    const email = uniqueEmail("signup");
    const { context, page } = await pages.open();
    await page.goto("/register");
    await fillRegistration(page, { email, password: STRONG_PASSWORD, name: "Ada Lovelace" });
    await page.getByRole("button", { name: "Create account" }).click();
    await page.waitForURL(`${pages.baseUrl}/account?notice=verify-email`);
    expect((await context.cookies()).find((cookie) => cookie.name === "pc_session")?.httpOnly).toBe(true);
    const me = await meOf(page);
    expect(me).toMatchObject({ email, emailVerified: false, name: "Ada Lovelace" });

    const mail = await latestMailTo(pages.t, email, VERIFICATION);
    const link = linkIn(mail.text, `${pages.baseUrl}/verify-email?token=`);
    await page.goto(link);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe(
      "Confirm your email address",
    );
    // Opening the link (as a mail scanner would) changed nothing.
    expect((await meOf(page)).emailVerified).toBe(false);
    await expectAccessible(page);

    await submit(page, "Verify email");
    expect(page.url()).toBe(`${pages.baseUrl}/verify-email/done`);
    await expect(page.getByRole("status").textContent()).resolves.toContain(
      "your email address is confirmed",
    );
    expect((await meOf(page)).emailVerified).toBe(true);

    // The signed-in page of this area has "Sign out" in its header.
    await page.goto("/verify-email");
    await expect(page.getByText(`Your email address ${email} is confirmed.`).count()).resolves.toBe(1);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/login\?signedOut=1/);
    expect((await context.cookies()).some((cookie) => cookie.name === "pc_session")).toBe(false);

    await signInThroughForm(page, email);
    expect((await meOf(page)).email).toBe(email);
  });

  it("goes to an allowed redirectTo after sign-up and ignores a foreign one", async () => {
    const { page } = await pages.open();
    await page.goto(`/register?redirectTo=${encodeURIComponent("/account?from=signup")}`);
    await fillRegistration(page, { email: uniqueEmail("signup-redirect"), password: STRONG_PASSWORD });
    await page.getByRole("button", { name: "Create account" }).click();
    await page.waitForURL(`${pages.baseUrl}/account?from=signup`);

    const other = await pages.open();
    await other.page.goto(`/register?redirectTo=${encodeURIComponent("https://evil.example/steal")}`);
    await fillRegistration(other.page, { email: uniqueEmail("signup-foreign"), password: STRONG_PASSWORD });
    await other.page.getByRole("button", { name: "Create account" }).click();
    await other.page.waitForURL(`${pages.baseUrl}/account?notice=verify-email`);
  });

  it("explains a refused password in words without JavaScript, keeping everything but the password", async () => {
    const context = await pages.browser.newContext({ baseURL: pages.baseUrl, javaScriptEnabled: false });
    closeLater.push(context);
    const page = await context.newPage();
    const email = uniqueEmail("signup-nojs");
    await page.goto("/register");
    await fillRegistration(page, { email, password: BREACHED_PASSWORD, name: "Grace" });
    await submit(page, "Create account");
    const alert = page.getByRole("alert");
    await expect(alert.textContent()).resolves.toContain("Choose a stronger password");
    await expect(alert.textContent()).resolves.toContain(BREACHED_REASON);
    await expect(description(page.getByLabel("Password", { exact: true }))).resolves.toContain(
      BREACHED_REASON,
    );
    await expect(page.getByRole("textbox", { name: "Email" }).inputValue()).resolves.toBe(email);
    await expect(page.getByRole("textbox", { name: "Name" }).inputValue()).resolves.toBe("Grace");
    await expect(page.getByLabel("Password", { exact: true }).inputValue()).resolves.toBe("");
    await saveScreenshot(page, "register-refused-light-1280");

    // Too short and equal to the address: each reason, in words.
    await page.getByLabel("Password", { exact: true }).fill("abc");
    await submit(page, "Create account");
    await expect(page.getByRole("alert").textContent()).resolves.toContain(SHORT_REASON);
    await page.getByLabel("Password", { exact: true }).fill(email);
    await submit(page, "Create account");
    await expect(page.getByRole("alert").textContent()).resolves.toContain(EMAIL_REASON);
    // Nothing was created along the way: the address is still free.
    const login = await pages.t.post("/v1/auth/login", { email, password: STRONG_PASSWORD });
    expect(login.statusCode).toBe(401);
  });

  it("says live, while the person types, why a password would be refused", async () => {
    const { page } = await pages.open();
    const email = uniqueEmail("signup-live");
    await page.goto("/register");
    const password = page.getByLabel("Password", { exact: true });
    const region = await password.evaluate((element) =>
      (element.getAttribute("aria-describedby") ?? "")
        .split(/\s+/)
        .map((id) => document.getElementById(id))
        .find((candidate) => candidate?.getAttribute("aria-live") !== null)
        ?.getAttribute("aria-live"),
    );
    expect(region).toBe("polite");

    await page.getByRole("textbox", { name: "Email" }).fill(email);
    await password.pressSequentially("abc");
    await waitForDescription(password, SHORT_REASON);
    await password.fill(BREACHED_PASSWORD);
    await waitForDescription(password, BREACHED_REASON);
    await password.fill(email);
    await waitForDescription(password, EMAIL_REASON);
    await password.fill(STRONG_PASSWORD);
    await waitForDescription(password, "This password meets the rules.");
    await expect(description(password)).resolves.not.toContain(BREACHED_REASON);
    await expectAccessible(page);
    await saveScreenshot(page, "register-live-feedback-light-1280");
  });

  it("says a taken address in words and keeps what was typed but the password", async () => {
    const email = uniqueEmail("signup-taken");
    expect((await pages.t.post("/v1/auth/register", { email, password: STRONG_PASSWORD })).statusCode).toBe(
      201,
    );
    const { page } = await pages.open();
    await page.goto("/register");
    await fillRegistration(page, { email, password: "another-Strong-pass-42", name: "Someone" });
    await submit(page, "Create account");
    await expect(page.getByRole("alert").textContent()).resolves.toContain(
      "An account with this email address already exists.",
    );
    await expect(page.getByRole("textbox", { name: "Email" }).inputValue()).resolves.toBe(email);
    await expect(page.getByRole("textbox", { name: "Name" }).inputValue()).resolves.toBe("Someone");
    await expect(page.getByLabel("Password", { exact: true }).inputValue()).resolves.toBe("");
    await expect(page.getByRole("link", { name: "Forgot your password?" }).count()).resolves.toBe(1);
    await expectAccessible(page);
  });

  it("says an address that is not one in words", async () => {
    const { page } = await pages.open();
    await page.goto("/register");
    await fillRegistration(page, { email: "not-an-address", password: STRONG_PASSWORD });
    await submit(page, "Create account");
    await expect(description(page.getByRole("textbox", { name: "Email" }))).resolves.toContain(
      "Enter an email address in the form name@example.com.",
    );
    await expect(page.getByRole("alert").count()).resolves.toBe(1);
    await expect(page.getByRole("textbox", { name: "Email" }).inputValue()).resolves.toBe("not-an-address");
  });

  it("looks right wide and narrow, light and dark", async () => {
    for (const colorScheme of ["light", "dark"] as const) {
      for (const width of [1280, 375]) {
        const { page } = await pages.open({ colorScheme, width });
        await page.goto("/register");
        await saveScreenshot(page, `register-${colorScheme}-${width}`);
        await page.goto("/register/check-email");
        await saveScreenshot(page, `register-check-email-${colorScheme}-${width}`);
        if (width === 1280) await expectAccessible(page);
      }
    }
  });
});
