/**
 * The sign-in page in Chromium: a person signs in with email and password, sees a wrong password
 * in words (their email kept, the password not), lands where `redirectTo` says only when the
 * allow-list or this origin admits it, and signs out. A form post without the CSRF token is refused.
 */
import { describe, expect, it } from "vitest";
import { uniqueEmail } from "../support/test-app.js";
import {
  browserSuitesEnabled,
  expectAccessible,
  STRONG_PASSWORD,
  saveScreenshot,
  signInThroughForm,
  usePagesFixture,
} from "./support/pages-fixture.js";

describe.runIf(browserSuitesEnabled)("sign-in page", () => {
  const pages = usePagesFixture();

  async function registeredUser(): Promise<string> {
    const email = uniqueEmail("signin");
    const response = await pages.t.post("/v1/auth/register", { email, password: STRONG_PASSWORD });
    expect(response.statusCode).toBe(201);
    return email;
  }

  it("offers every control the contract names, accessible in light and dark", async () => {
    for (const colorScheme of ["light", "dark"] as const) {
      const { page } = await pages.open({ colorScheme });
      await page.goto("/login");
      await expect(page.title()).resolves.toMatch(/Sign in/);
      expect(await page.getAttribute("html", "lang")).toBe("en");
      await expect(page.getByRole("textbox", { name: "Email" }).count()).resolves.toBe(1);
      await expect(page.getByLabel("Password", { exact: true }).count()).resolves.toBe(1);
      await expect(page.getByRole("checkbox", { name: "Remember me" }).count()).resolves.toBe(1);
      await expect(page.getByRole("button", { name: "Sign in", exact: true }).count()).resolves.toBe(1);
      await expect(page.getByRole("button", { name: "Sign in with a passkey" }).count()).resolves.toBe(1);
      await expect(page.getByRole("link", { name: "Create an account" }).count()).resolves.toBe(1);
      await expect(page.getByRole("link", { name: "Forgot your password?" }).count()).resolves.toBe(1);
      await expectAccessible(page);
    }
  });

  it("says a wrong password in words, keeps the email and never the password", async () => {
    const email = await registeredUser();
    const { page } = await pages.open();
    await page.goto("/login");
    await page.getByRole("textbox", { name: "Email" }).fill(email);
    await page.getByLabel("Password", { exact: true }).fill("not-the-password-123");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toContain("The email or password is wrong.");
    await expect(page.getByRole("textbox", { name: "Email" }).inputValue()).resolves.toBe(email);
    await expect(page.getByLabel("Password", { exact: true }).inputValue()).resolves.toBe("");
    await expectAccessible(page);
  });

  it("signs in, lands on the account, and signs out with the Sign out button", async () => {
    const email = await registeredUser();
    const { context, page } = await pages.open();
    await signInThroughForm(page, email);
    const cookies = await context.cookies();
    expect(cookies.find((cookie) => cookie.name === "pc_session")?.httpOnly).toBe(true);
    // The header's button: the account page also has "Sign out" buttons for other devices.
    await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/login\?signedOut=1/);
    await expect(page.getByRole("status").first().textContent()).resolves.toContain("You are signed out.");
    expect((await context.cookies()).some((cookie) => cookie.name === "pc_session")).toBe(false);
  });

  it("follows redirectTo on this origin and ignores one on a foreign origin", async () => {
    const email = await registeredUser();
    const { page } = await pages.open();
    await page.goto(`/login?redirectTo=${encodeURIComponent("https://evil.example/steal")}`);
    await page.getByRole("textbox", { name: "Email" }).fill(email);
    await page.getByLabel("Password", { exact: true }).fill(STRONG_PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL(`${pages.baseUrl}/account`);
    expect(new URL(page.url()).origin).toBe(pages.baseUrl);

    const other = await pages.open();
    await other.page.goto(`/login?redirectTo=${encodeURIComponent("/account?from=test")}`);
    await other.page.getByRole("textbox", { name: "Email" }).fill(email);
    await other.page.getByLabel("Password", { exact: true }).fill(STRONG_PASSWORD);
    await other.page.getByRole("button", { name: "Sign in", exact: true }).click();
    await other.page.waitForURL(`${pages.baseUrl}/account?from=test`);
  });

  it("refuses a form post without its CSRF token with a page in words", async () => {
    const email = await registeredUser();
    const response = await pages.t.app.inject({
      method: "POST",
      url: "/login",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: pages.baseUrl },
      payload: new URLSearchParams({ email, password: STRONG_PASSWORD }).toString(),
    });
    expect(response.statusCode).toBe(403);
    expect(response.headers["content-type"]).toMatch(/^text\/html/);
    expect(response.body).toContain('role="alert"');
    expect(response.body).toContain("This form expired or did not come from this site.");
    expect(response.headers["set-cookie"]?.toString() ?? "").not.toContain("pc_session=");
  });

  it("sends a strict content security policy and no framing", async () => {
    const response = await pages.t.get("/login");
    const csp = String(response.headers["content-security-policy"]);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response.headers["x-frame-options"]).toBe("DENY");
  });

  it("looks right wide and narrow, light and dark", async () => {
    for (const colorScheme of ["light", "dark"] as const) {
      for (const width of [1280, 375]) {
        const { page } = await pages.open({ colorScheme, width });
        await page.goto("/login");
        await saveScreenshot(page, `login-${colorScheme}-${width}`);
      }
    }
  });
});
