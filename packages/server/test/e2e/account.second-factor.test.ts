/**
 * Second factors and step-up on the account page, in Chromium on a manual clock:
 *  - TOTP enrolment reads the secret from the page, refuses a wrong code in words, turns on with
 *    a right one, shows the backup codes once (a reload shows them no more), and the next sign-in
 *    asks for a code at /login/mfa;
 *  - "Add a passkey" registers one with a virtual authenticator, shows the first factor's backup
 *    codes, and lists it;
 *  - when the sign-in is older than the step-up window, a password change, a TOTP setup and an
 *    API key ask for the password in place (a wrong one said in words) and then carry on.
 */

import { Secret } from "otpauth";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { totpCode } from "../../src/domain/mfa/totp.js";
import { nextStep } from "../support/mfa.js";
import { createManualClock, uniqueEmail } from "../support/test-app.js";
import {
  addVirtualAuthenticator,
  browserSuitesEnabled,
  expectAccessible,
  STRONG_PASSWORD,
  signInThroughForm,
  usePagesFixture,
} from "./support/pages-fixture.js";

/** Past the default step-up window (10 minutes), within the idle timeout (30 minutes). */
const PAST_STEP_UP_MS = 11 * 60_000;
const NEW_PASSWORD = "amber-Lighthouse-58-meadow";

describe.runIf(browserSuitesEnabled)("account page: second factors and step-up", () => {
  const clock = createManualClock(Date.now());
  const pages = usePagesFixture({ clock });

  async function signedInPage() {
    const email = uniqueEmail("factor");
    const response = await pages.t.post("/v1/auth/register", { email, password: STRONG_PASSWORD });
    expect(response.statusCode, response.body).toBe(201);
    const opened = await pages.open();
    await signInThroughForm(opened.page, email);
    return { ...opened, email };
  }

  const region = (page: Page, name: string) => page.getByRole("region", { name, exact: true });

  /** Set up and turn on an authenticator app through the page; the secret, as the app holds it. */
  async function enrolThroughPage(page: Page): Promise<Uint8Array> {
    const twoFactor = region(page, "Two-factor authentication");
    await twoFactor.getByRole("button", { name: "Set up an authenticator app" }).click();
    await page.waitForURL(/step=totp-setup/);
    const secret = Secret.fromBase32(((await twoFactor.locator(".secret").textContent()) ?? "").trim()).bytes;
    await twoFactor.getByRole("textbox", { name: "Code" }).fill(totpCode(secret, clock.now()));
    await twoFactor.getByRole("button", { name: "Turn on" }).click();
    await page.waitForURL(/done=totp-enabled/);
    return secret;
  }

  it("enrols an authenticator app, shows the backup codes once, then asks for a code at sign-in", async () => {
    const { page, email } = await signedInPage();
    const twoFactor = region(page, "Two-factor authentication");
    await twoFactor.getByRole("button", { name: "Set up an authenticator app" }).click();
    await page.waitForURL(/step=totp-setup/);
    await expect(twoFactor.getByRole("img", { name: /QR code/ }).getAttribute("src")).resolves.toMatch(
      /^data:image\/png;base64,/,
    );
    const base32 = ((await twoFactor.locator(".secret").textContent()) ?? "").replace(/\s+/g, "");
    const secret = Secret.fromBase32(base32).bytes;

    await twoFactor
      .getByRole("textbox", { name: "Code" })
      .fill("000000" === totpCode(secret, clock.now()) ? "111111" : "000000");
    await twoFactor.getByRole("button", { name: "Turn on" }).click();
    await expect(twoFactor.getByRole("alert").textContent()).resolves.toContain("That code is not right");
    await expectAccessible(page);
    // The same secret is shown again: the app the person set up still fits.
    await expect(twoFactor.locator(".secret").textContent()).resolves.toBe(base32);

    await twoFactor.getByRole("textbox", { name: "Code" }).fill(totpCode(secret, clock.now()));
    await twoFactor.getByRole("button", { name: "Turn on" }).click();
    await page.waitForURL(/done=totp-enabled/);
    expect(page.url()).not.toMatch(/[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}/);
    const codes = await twoFactor
      .getByRole("list", { name: "Your backup codes" })
      .getByRole("listitem")
      .allTextContents();
    expect(codes).toHaveLength(10);
    const download = await twoFactor.getByRole("link", { name: "Download as text" }).getAttribute("href");
    expect(download).toMatch(/^data:text\/plain/);
    expect(decodeURIComponent(download ?? "")).toContain(codes[0]);
    await expect(twoFactor.getByText("On", { exact: true }).count()).resolves.toBe(1);
    await expectAccessible(page);

    await page.reload();
    await expect(twoFactor.getByRole("list", { name: "Your backup codes" }).count()).resolves.toBe(0);
    await expect(page.getByText(codes[0] ?? "?").count()).resolves.toBe(0);
    await expect(twoFactor.getByText("On", { exact: true }).count()).resolves.toBe(1);

    await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/login\?signedOut=1/);
    nextStep(clock);
    await page.getByRole("textbox", { name: "Email" }).fill(email);
    await page.getByLabel("Password", { exact: true }).fill(STRONG_PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL(/\/login\/mfa/);
    await page.getByRole("textbox", { name: "Code" }).fill(totpCode(secret, clock.now()));
    await page.getByRole("button", { name: "Verify" }).click();
    await page.waitForURL(`${pages.baseUrl}/account`);
    await expect(
      region(page, "Security events").getByText("Two-factor authentication turned on").count(),
    ).resolves.toBe(1);
  });

  it("adds a passkey with the virtual authenticator, shows its backup codes, and lists it", async () => {
    const { page } = await signedInPage();
    await addVirtualAuthenticator(page);
    const passkeys = region(page, "Passkeys");
    // An old sign-in: the script hands the form to the server, which asks for the password in place.
    clock.advance(PAST_STEP_UP_MS);
    await passkeys.getByRole("button", { name: "Add a passkey" }).click();
    await passkeys.getByRole("textbox", { name: "Password", exact: true }).fill(STRONG_PASSWORD);
    await passkeys.getByRole("button", { name: "Continue" }).click();
    await page.waitForURL(/done=confirmed-passkey/);
    await passkeys.getByRole("textbox", { name: "Passkey label (optional)" }).fill("Test laptop");
    await passkeys.getByRole("button", { name: "Add a passkey" }).click();
    // The first second factor comes with backup codes, shown here once.
    const codes = passkeys.getByRole("list", { name: "Your backup codes" }).getByRole("listitem");
    await codes.first().waitFor();
    await expect(codes.count()).resolves.toBe(10);
    await passkeys.getByRole("link", { name: "I have saved my backup codes" }).click();
    await page.waitForURL(/done=passkey-added/);
    await expect(passkeys.getByRole("status").first().textContent()).resolves.toContain(
      "Your passkey is added.",
    );
    await expect(passkeys.getByText("Test laptop", { exact: true }).count()).resolves.toBe(1);
    await expect(passkeys.getByText("not used yet").count()).resolves.toBe(1);
    await expect(
      region(page, "Security events").getByText("Passkey “Test laptop” added").count(),
    ).resolves.toBe(1);

    await passkeys.getByRole("button", { name: "Remove" }).click();
    await page.waitForURL(/done=passkey-removed/);
    await expect(passkeys.getByText("Test laptop", { exact: true }).count()).resolves.toBe(0);
  });

  it("replaces the backup codes with a code, and turns the app off with one", async () => {
    const { page } = await signedInPage();
    const secret = await enrolThroughPage(page);
    const twoFactor = region(page, "Two-factor authentication");
    const first = await twoFactor
      .getByRole("list", { name: "Your backup codes" })
      .getByRole("listitem")
      .allTextContents();

    await twoFactor.getByText("New backup codes", { exact: true }).click();
    nextStep(clock);
    await twoFactor.getByRole("textbox", { name: "Code" }).fill(totpCode(secret, clock.now()));
    await twoFactor.getByRole("button", { name: "Get new backup codes" }).click();
    await page.waitForURL(/done=backup-codes/);
    const second = await twoFactor
      .getByRole("list", { name: "Your backup codes" })
      .getByRole("listitem")
      .allTextContents();
    expect(second).toHaveLength(10);
    expect(second).not.toContain(first[0]);

    // With the sign-in old, a code of the app confirms it is them too; then the form is open again.
    clock.advance(PAST_STEP_UP_MS);
    await twoFactor.getByText("Turn off two-factor authentication", { exact: true }).click();
    await twoFactor.getByRole("button", { name: "Turn off", exact: true }).click();
    const stepUpCode = twoFactor.getByRole("textbox", { name: /code from your authenticator app/ });
    await stepUpCode.fill(totpCode(secret, clock.now()));
    await twoFactor.getByRole("button", { name: "Use this code" }).click();
    await page.waitForURL(/done=confirmed-totp-disable/);
    // A spent code is refused in words, the form still open.
    await twoFactor.getByRole("textbox", { name: "Code", exact: true }).fill(totpCode(secret, clock.now()));
    await twoFactor.getByRole("button", { name: "Turn off", exact: true }).click();
    await expect(twoFactor.getByRole("alert").textContent()).resolves.toContain("That code is not right");
    await twoFactor.getByRole("textbox", { name: "Code", exact: true }).fill(second[0] ?? "");
    await twoFactor.getByRole("button", { name: "Turn off", exact: true }).click();
    await page.waitForURL(/done=totp-disabled/);
    await expect(twoFactor.getByText("Off", { exact: true }).count()).resolves.toBe(1);
    await expect(
      twoFactor.getByRole("button", { name: "Set up an authenticator app" }).count(),
    ).resolves.toBe(1);
  });

  it("asks for the password in place when the sign-in is old, then carries on", async () => {
    const { page, email } = await signedInPage();
    clock.advance(PAST_STEP_UP_MS);
    await page.goto("/account");

    // A password change: confirm, then type the passwords again (they are never carried).
    const password = region(page, "Password");
    await password.getByRole("textbox", { name: "Current password" }).fill(STRONG_PASSWORD);
    await password.getByRole("textbox", { name: "New password" }).fill(NEW_PASSWORD);
    await password.getByRole("button", { name: "Change password" }).click();
    await password.getByRole("textbox", { name: "Password", exact: true }).waitFor();
    await expect(page.getByRole("textbox", { name: "Password", exact: true }).count()).resolves.toBe(1);
    await expect(password.getByRole("textbox", { name: "New password" }).count()).resolves.toBe(0);
    await password.getByRole("textbox", { name: "Password", exact: true }).fill("not-my-password-at-all");
    await password.getByRole("button", { name: "Continue" }).click();
    await expect(password.getByRole("alert").textContent()).resolves.toContain("That password is not right.");
    await expectAccessible(page);
    await password.getByRole("textbox", { name: "Password", exact: true }).fill(STRONG_PASSWORD);
    await password.getByRole("button", { name: "Continue" }).click();
    await page.waitForURL(/done=confirmed-password/);
    await password.getByRole("textbox", { name: "Current password" }).fill(STRONG_PASSWORD);
    await password.getByRole("textbox", { name: "New password" }).fill(NEW_PASSWORD);
    await password.getByRole("button", { name: "Change password" }).click();
    await page.waitForURL(/done=password-changed/);
    await expect(password.getByRole("status").first().textContent()).resolves.toContain(
      "Your password is changed.",
    );
    const login = await pages.t.post("/v1/auth/login", { email, password: NEW_PASSWORD });
    expect(login.statusCode, login.body).toBe(200);

    // A TOTP setup carries straight on to the QR code.
    clock.advance(PAST_STEP_UP_MS);
    const twoFactor = region(page, "Two-factor authentication");
    await twoFactor.getByRole("button", { name: "Set up an authenticator app" }).click();
    await twoFactor.getByRole("textbox", { name: "Password", exact: true }).fill(NEW_PASSWORD);
    await twoFactor.getByRole("button", { name: "Continue" }).click();
    await page.waitForURL(/step=totp-setup/);
    await expect(twoFactor.getByRole("img", { name: /QR code/ }).count()).resolves.toBe(1);

    // An API key keeps its label and scopes through the step-up, and is created after it.
    clock.advance(PAST_STEP_UP_MS);
    await page.goto("/account");
    const keys = region(page, "API keys");
    await keys.getByRole("textbox", { name: "Key label" }).fill("After step-up");
    await keys.getByRole("checkbox", { name: /Read your security events/ }).check();
    await keys.getByRole("button", { name: "Create API key" }).click();
    await keys.getByRole("textbox", { name: "Password", exact: true }).fill(NEW_PASSWORD);
    await keys.getByRole("button", { name: "Continue" }).click();
    await page.waitForURL(/done=api-key-created/);
    await expect(keys.locator("#new-api-key").textContent()).resolves.toMatch(/^pc_/);
    await expect(keys.getByText("Scopes: events:read").count()).resolves.toBe(1);
    await expect(keys.getByText("After step-up", { exact: true }).count()).resolves.toBe(1);
  });
});
