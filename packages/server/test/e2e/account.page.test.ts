/**
 * The account security centre (`/account`) in Chromium: a signed-out visit goes to sign in; the
 * page has every heading and control the contract names, each section a region; it passes axe
 * in light and dark (also with the authenticator setup open) and looks right wide and narrow; a
 * name with markup is text and runs nothing; the welcome notice resends the verification mail;
 * an API key is shown once and can be revoked; the account can be deleted.
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { latestMailTo } from "../support/mail-outbox-folder.js";
import { uniqueEmail } from "../support/test-app.js";
import {
  browserSuitesEnabled,
  expectAccessible,
  STRONG_PASSWORD,
  saveScreenshot,
  signInThroughForm,
  usePagesFixture,
} from "./support/pages-fixture.js";

const HEADINGS = [
  "Profile",
  "Password",
  "Email",
  "Two-factor authentication",
  "Passkeys",
  "Devices",
  "Connected accounts",
  "API keys",
  "Security events",
  "Delete account",
];

describe.runIf(browserSuitesEnabled)("account page", () => {
  const pages = usePagesFixture();

  async function registeredUser(name?: string): Promise<string> {
    const email = uniqueEmail("account");
    const response = await pages.t.post("/v1/auth/register", {
      email,
      password: STRONG_PASSWORD,
      ...(name === undefined ? {} : { name }),
    });
    expect(response.statusCode, response.body).toBe(201);
    return email;
  }

  async function signedInPage(options: Parameters<typeof pages.open>[0] = {}, name?: string) {
    const email = await registeredUser(name);
    const opened = await pages.open(options);
    await signInThroughForm(opened.page, email);
    return { ...opened, email };
  }

  const region = (page: Page, name: string) => page.getByRole("region", { name, exact: true });

  it("sends a signed-out visitor to sign in, and back to the account after", async () => {
    const email = await registeredUser();
    const { page } = await pages.open();
    await page.goto("/account");
    expect(new URL(page.url()).pathname).toBe("/login");
    expect(new URL(page.url()).searchParams.get("redirectTo")).toBe("/account");
    await page.getByRole("textbox", { name: "Email" }).fill(email);
    await page.getByLabel("Password", { exact: true }).fill(STRONG_PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL(`${pages.baseUrl}/account`);
  });

  it("has every heading and control the contract names, and no cache keeps it", async () => {
    const { page } = await signedInPage();
    const response = await page.goto("/account");
    expect(response?.headers()["cache-control"]).toBe("no-store");
    await expect(page.getByRole("heading", { level: 1 }).count()).resolves.toBe(1);
    for (const heading of HEADINGS) {
      await expect(page.getByRole("heading", { name: heading, exact: true }).count(), heading).resolves.toBe(
        1,
      );
      await expect(region(page, heading).count(), heading).resolves.toBe(1);
    }
    const twoFactor = region(page, "Two-factor authentication");
    await expect(
      twoFactor.getByRole("button", { name: "Set up an authenticator app" }).count(),
    ).resolves.toBe(1);
    await expect(
      region(page, "Passkeys").getByRole("button", { name: "Add a passkey" }).count(),
    ).resolves.toBe(1);
    const devices = region(page, "Devices");
    await expect(devices.getByRole("button", { name: "Sign out everywhere" }).count()).resolves.toBe(1);
    await expect(devices.getByText("This device").count()).resolves.toBe(1);
    // One device: this one, which signs out with the header's button, not a per-device one.
    await expect(devices.getByRole("button", { name: "Sign out", exact: true }).count()).resolves.toBe(0);
    await expect(devices.getByText("Chrome on Linux").count()).resolves.toBe(1);
    await expect(
      region(page, "Security events").getByText("New sign-in from Chrome on Linux").count(),
    ).resolves.toBeGreaterThan(0);
  });

  it("is accessible in light and dark, with the authenticator setup open too", async () => {
    for (const colorScheme of ["light", "dark"] as const) {
      const { page } = await signedInPage({ colorScheme });
      await expectAccessible(page);
      await region(page, "Two-factor authentication")
        .getByRole("button", { name: "Set up an authenticator app" })
        .click();
      await page.waitForURL(/step=totp-setup/);
      await expect(page.getByRole("img", { name: /QR code/ }).count()).resolves.toBe(1);
      await expectAccessible(page);
    }
  });

  it("looks right wide and narrow, light and dark, with and without the setup open", async () => {
    for (const colorScheme of ["light", "dark"] as const) {
      for (const width of [1280, 375]) {
        const { page } = await signedInPage({ colorScheme, width }, "Ada Lovelace");
        await saveScreenshot(page, `account-${colorScheme}-${width}`);
        await region(page, "Two-factor authentication")
          .getByRole("button", { name: "Set up an authenticator app" })
          .click();
        await page.waitForURL(/step=totp-setup/);
        await saveScreenshot(page, `account-totp-setup-${colorScheme}-${width}`);
      }
    }
  });

  it("shows a name with markup as text and runs none of it", async () => {
    const name = "<script>alert(1)</script>";
    const { page } = await signedInPage({}, name);
    const dialogs: string[] = [];
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto("/account");
    await expect(page.getByText(`Signed in as ${name}`).isVisible()).resolves.toBe(true);
    const profile = region(page, "Profile");
    await expect(profile.getByRole("textbox", { name: "Name" }).inputValue()).resolves.toBe(name);

    const other = '<img src="x" onerror="alert(2)">';
    await profile.getByRole("textbox", { name: "Name" }).fill(other);
    await profile.getByRole("button", { name: "Save" }).click();
    await page.waitForURL(/done=profile-saved/);
    await expect(profile.getByRole("status").textContent()).resolves.toContain("Your profile is saved.");
    await expect(page.getByText(`Signed in as ${other}`).isVisible()).resolves.toBe(true);
    await expect(page.locator("img[src='x']").count()).resolves.toBe(0);
    expect(dialogs).toEqual([]);
  });

  it("welcomes a new account with a notice and resends the verification mail", async () => {
    const { page, email } = await signedInPage();
    await page.goto("/account?notice=verify-email");
    const notice = page.getByRole("status").filter({ hasText: `We sent a link to ${email}` });
    await expect(notice.count()).resolves.toBe(1);
    await expect(region(page, "Email").getByText("Not verified", { exact: true }).count()).resolves.toBe(1);
    await notice.getByRole("button", { name: "Send the link again" }).click();
    await page.waitForURL(/done=verification-sent/);
    await expect(region(page, "Email").getByRole("status").textContent()).resolves.toContain(
      "We sent you a new verification link.",
    );
    const mail = await latestMailTo(pages.t, email, /verif|confirm/i);
    expect(mail.text).toContain("/verify-email?token=");
  });

  it("asks for a new email address and says the same whatever the address", async () => {
    const { page } = await signedInPage();
    const taken = await registeredUser();
    const email = region(page, "Email");
    await email.getByRole("textbox", { name: "New email address" }).fill(taken);
    await email.getByRole("button", { name: "Change email" }).click();
    await page.waitForURL(/done=email-change-sent/);
    const said = await region(page, "Email").getByRole("status").textContent();
    expect(said).toContain("If that address can receive mail");

    await region(page, "Email").getByRole("textbox", { name: "New email address" }).fill(uniqueEmail("free"));
    await region(page, "Email").getByRole("button", { name: "Change email" }).click();
    await page.waitForURL(/done=email-change-sent/);
    await expect(region(page, "Email").getByRole("status").textContent()).resolves.toBe(said);
  });

  it("refuses a weak new password with its reasons, and a wrong current one, in words", async () => {
    const { page } = await signedInPage();
    const password = region(page, "Password");
    await password.getByRole("textbox", { name: "Current password" }).fill(STRONG_PASSWORD);
    await password.getByRole("textbox", { name: "New password" }).fill("password");
    await password.getByRole("button", { name: "Change password" }).click();
    await expect(password.getByRole("alert").textContent()).resolves.toContain("Choose a stronger password.");
    await expect(password.getByText("appears in lists of breached passwords").count()).resolves.toBe(1);
    await expect(password.getByRole("textbox", { name: "Current password" }).inputValue()).resolves.toBe("");

    await password.getByRole("textbox", { name: "Current password" }).fill("not-the-password-42");
    await password.getByRole("textbox", { name: "New password" }).fill("amber-Lighthouse-58-meadow");
    await password.getByRole("button", { name: "Change password" }).click();
    // The same URL answers again: wait for the new words, not the old page's alert.
    await password.getByRole("alert").filter({ hasText: "The current password is not right." }).waitFor();
  });

  it("speaks German once German is chosen", async () => {
    const { page } = await signedInPage();
    await page.getByRole("combobox", { name: "Language" }).selectOption("de");
    await page.getByRole("contentinfo").getByRole("button", { name: "Change" }).click();
    await page.waitForURL(`${pages.baseUrl}/account`);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Ihr Konto");
    await expect(page.getByRole("heading", { name: "Zwei-Faktor-Authentifizierung" }).count()).resolves.toBe(
      1,
    );
    await expect(page.getByText("Neue Anmeldung von Chrome unter Linux").count()).resolves.toBeGreaterThan(0);
  });

  it("shows a new API key once, lists it, and revokes it", async () => {
    const { page, context } = await signedInPage();
    await context.grantPermissions(["clipboard-read", "clipboard-write"]);
    const keys = region(page, "API keys");
    await keys.getByRole("textbox", { name: "Key label" }).fill("Nightly backup");
    await keys.getByRole("checkbox", { name: /Read your security events/ }).check();
    await keys.getByRole("button", { name: "Create API key" }).click();
    await page.waitForURL(/done=api-key-created/);
    const key = (await keys.locator("#new-api-key").textContent()) ?? "";
    expect(key).toMatch(/^pc_[A-Za-z0-9_-]{32,}$/);
    await keys.getByRole("button", { name: "Copy key" }).click();
    await keys.getByRole("status").filter({ hasText: "Copied." }).waitFor();
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(key);
    const events = await pages.t.get("/v1/me/events", { "x-api-key": key });
    expect(events.statusCode, events.body).toBe(200);

    await page.reload();
    await expect(page.getByText(key).count()).resolves.toBe(0);
    await expect(keys.getByText("Nightly backup", { exact: true }).count()).resolves.toBe(1);
    await expect(keys.getByText("Scopes: events:read").count()).resolves.toBe(1);

    await keys.getByRole("button", { name: "Revoke" }).click();
    await page.waitForURL(/done=api-key-revoked/);
    await expect(keys.getByRole("status").textContent()).resolves.toContain("The API key is revoked.");
    await expect(keys.getByText("Nightly backup", { exact: true }).count()).resolves.toBe(0);
    expect((await pages.t.get("/v1/me/events", { "x-api-key": key })).statusCode).toBe(401);
    await expect(
      region(page, "Security events").getByText("API key “Nightly backup” revoked").count(),
    ).resolves.toBe(1);
  });

  it("says what is wrong with an API key form in words, keeping what was typed", async () => {
    const { page } = await signedInPage();
    const keys = region(page, "API keys");
    await keys.getByRole("textbox", { name: "Key label" }).fill("Deploy");
    await keys.getByRole("textbox", { name: "Other scopes (optional)" }).fill("reports:read bad scope!");
    await keys.getByRole("button", { name: "Create API key" }).click();
    await expect(keys.getByRole("alert").textContent()).resolves.toContain(
      "Some of what you entered is not valid.",
    );
    await expect(keys.getByText("“scope!” is not a valid scope").count()).resolves.toBe(1);
    await expect(keys.getByRole("textbox", { name: "Key label" }).inputValue()).resolves.toBe("Deploy");
  });

  it("deletes the account after a confirmation, signed out on the sign-in page", async () => {
    const { page, email, context } = await signedInPage();
    const danger = region(page, "Delete account");
    await danger.getByRole("checkbox", { name: "I understand that this cannot be undone" }).check();
    await danger.getByRole("button", { name: "Delete my account" }).click();
    await page.waitForURL(/\/login\?signedOut=1/);
    await expect(page.getByRole("status").first().textContent()).resolves.toContain("You are signed out.");
    expect((await context.cookies()).some((cookie) => cookie.name === "pc_session")).toBe(false);
    const login = await pages.t.post("/v1/auth/login", { email, password: STRONG_PASSWORD });
    expect(login.statusCode).toBe(401);
  });
});
