/**
 * The pages that say something went wrong, in Chromium: a form whose CSRF token was tampered with
 * (refused with a 403 page in words, nobody signed in), a signed-in person without the `admin`
 * role at the console (403), and a console page for something that does not exist (404). Each is
 * accessible in light and dark and photographed wide and narrow (four browsers per test, hence
 * the longer timeouts).
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { uniqueEmail } from "../support/test-app.js";
import {
  browserSuitesEnabled,
  expectAccessible,
  type OpenOptions,
  STRONG_PASSWORD,
  saveScreenshot,
  signInThroughForm,
  usePagesFixture,
} from "./support/pages-fixture.js";

const VIEWS = [
  ["light", 1280],
  ["dark", 1280],
  ["light", 375],
  ["dark", 375],
] as const;

/** The few DOM calls made inside the page (the server's tsconfig has no DOM library). */
interface FormDocument {
  querySelector(selector: string): { setAttribute(name: string, value: string): void } | null;
}

describe.runIf(browserSuitesEnabled)("error pages", () => {
  const pages = usePagesFixture();

  async function account(roles: string[]): Promise<string> {
    const email = uniqueEmail(roles.includes("admin") ? "errors-admin" : "errors-user");
    const created = await pages.t.services.users.createUser(
      { email, password: STRONG_PASSWORD, roles, emailVerified: true },
      null,
    );
    if (!created.ok) throw new Error(created.code);
    return email;
  }

  /** The page's one heading and its alert, as a person reads them. */
  async function errorShown(page: Page): Promise<{ heading: string; alert: string }> {
    await expect(page.getByRole("heading", { level: 1 }).count()).resolves.toBe(1);
    return {
      heading: ((await page.getByRole("heading", { level: 1 }).textContent()) ?? "").trim(),
      alert: (await page.getByRole("alert").textContent()) ?? "",
    };
  }

  async function eachView(check: (page: Page, view: Required<OpenOptions>) => Promise<void>) {
    for (const [colorScheme, width] of VIEWS) {
      const { context, page } = await pages.open({ colorScheme, width });
      await check(page, { colorScheme, width, locale: "en-GB" });
      await context.close();
    }
  }

  it("refuses a sign-in form whose CSRF token was tampered with, in words, signing nobody in", {
    timeout: 90_000,
  }, async () => {
    const email = await account(["user"]);
    await eachView(async (page, { colorScheme, width }) => {
      await page.goto("/login");
      await page.getByRole("textbox", { name: "Email" }).fill(email);
      await page.getByLabel("Password", { exact: true }).fill(STRONG_PASSWORD);
      await page.evaluate(() => {
        const doc = (globalThis as unknown as { document: FormDocument }).document;
        doc.querySelector('input[name="_csrf"]')?.setAttribute("value", "tampered");
      });
      const [response] = await Promise.all([
        page.waitForResponse((answer) => answer.request().method() === "POST"),
        page.getByRole("button", { name: "Sign in", exact: true }).click(),
      ]);
      expect(response.status()).toBe(403);
      await page.waitForLoadState();
      const shown = await errorShown(page);
      expect(shown.heading).toBe("Not allowed");
      expect(shown.alert).toContain("This form expired or did not come from this site.");
      const cookies = await page.context().cookies();
      expect(cookies.some((cookie) => cookie.name === "pc_session")).toBe(false);
      await expectAccessible(page);
      await saveScreenshot(page, `error-csrf-${colorScheme}-${width}`);
    });
  });

  it("shows a signed-in person without the role a 403 page in words", { timeout: 90_000 }, async () => {
    const email = await account(["user"]);
    await eachView(async (page, { colorScheme, width }) => {
      await signInThroughForm(page, email);
      const response = await page.goto("/admin");
      expect(response?.status()).toBe(403);
      const shown = await errorShown(page);
      expect(shown.heading).toBe("Not allowed");
      expect(shown.alert).toContain("Your account is not allowed to open this page.");
      await expectAccessible(page);
      await saveScreenshot(page, `error-forbidden-${colorScheme}-${width}`);
    });
  });

  it("answers a console page for something that does not exist with a 404 page in words", {
    timeout: 90_000,
  }, async () => {
    const email = await account(["user", "admin"]);
    await eachView(async (page, { colorScheme, width }) => {
      await signInThroughForm(page, email);
      const response = await page.goto("/admin/users/00000000-0000-4000-8000-000000000000");
      expect(response?.status()).toBe(404);
      const shown = await errorShown(page);
      expect(shown.heading).toBe("Page not found");
      expect(shown.alert).toContain("We could not find that.");
      await expectAccessible(page);
      await saveScreenshot(page, `error-not-found-${colorScheme}-${width}`);
    });
  });
});
