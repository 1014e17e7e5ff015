/**
 * The fixture of the browser suites: a real Portcullis listening on `http://localhost:<port>`
 * (the public URL, so cookies, CSRF origins and the WebAuthn RP ID are what a person gets; SQLite
 * in its own folder) and one Chromium per test file. Each test opens its own browser context
 * (a fresh profile): `open()` takes the colour scheme and width. Helpers save screenshots to
 * `test-results/pages/` and run axe-core at the WCAG 2.2 AA levels.
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import AxeBuilder from "@axe-core/playwright";
import type { Browser, BrowserContext, CDPSession, Page } from "playwright-core";
import { afterAll, beforeAll, expect } from "vitest";
import { findFreePort } from "../../support/node-process.js";
import { createTestApp, STRONG_PASSWORD, type TestApp, type TestAppOptions } from "../../support/test-app.js";
import { chromiumAvailable, launchChromium } from "./chromium.js";

export { STRONG_PASSWORD };

/** Screenshots land here (repository root `test-results/pages/`), linked from the gallery in docs/pages.md. */
export const SCREENSHOT_DIR = resolve(
  fileURLToPath(new URL("../../../../../test-results/pages/", import.meta.url)),
);

export interface OpenOptions {
  colorScheme?: "light" | "dark";
  /** Viewport width in CSS pixels (1280 wide, 375 a phone). */
  width?: number;
  /** Accept-Language of the profile. */
  locale?: string;
}

export interface PagesFixture {
  readonly t: TestApp;
  readonly baseUrl: string;
  readonly browser: Browser;
  /** A fresh browser profile and a page in it. */
  open(options?: OpenOptions): Promise<{ context: BrowserContext; page: Page }>;
}

export interface PagesFixtureOptions extends Omit<TestAppOptions, "env"> {
  /**
   * More environment for the server. A function is called in `beforeAll` with the server's base
   * URL, before the server starts: for a peer that must know it first (a test OpenID provider
   * registering Portcullis' callback URL).
   */
  env?:
    | Record<string, string>
    | ((baseUrl: string) => Record<string, string> | Promise<Record<string, string>>);
}

/** Whether browser suites run here (call at module level, for `describe.runIf`). */
export const browserSuitesEnabled = chromiumAvailable();

/**
 * Starts the server and Chromium before the file's tests and stops both after.
 * @example const pages = usePagesFixture(); it("…", async () => { const { page } = await pages.open(); … });
 */
export function usePagesFixture(options: PagesFixtureOptions = {}): PagesFixture {
  let t: TestApp | undefined;
  let browser: Browser | undefined;
  let baseUrl = "";
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    const port = await findFreePort();
    baseUrl = `http://localhost:${port}`;
    const env = typeof options.env === "function" ? await options.env(baseUrl) : options.env;
    t = await createTestApp({
      ...options,
      env: { PORTCULLIS_PUBLIC_URL: baseUrl, ...env },
    });
    await t.app.listen({ port, host: "localhost" });
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await t?.close();
  });

  return {
    get t() {
      if (t === undefined) throw new Error("the pages fixture is not started");
      return t;
    },
    get baseUrl() {
      return baseUrl;
    },
    get browser() {
      if (browser === undefined) throw new Error("the pages fixture is not started");
      return browser;
    },
    async open({ colorScheme = "light", width = 1280, locale = "en-GB" } = {}) {
      if (browser === undefined) throw new Error("the pages fixture is not started");
      const context = await browser.newContext({
        baseURL: baseUrl,
        colorScheme,
        locale,
        viewport: { width, height: 900 },
      });
      contexts.push(context);
      return { context, page: await context.newPage() };
    },
  };
}

/** Saves a full-page screenshot as `test-results/pages/<name>.png` and checks it is not blank. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  const png = await page.screenshot({ path, fullPage: true });
  expect(png.length).toBeGreaterThan(2_000);
  return path;
}

/** axe-core at WCAG 2.0/2.1/2.2 A and AA: the page has no violations. */
export async function expectAccessible(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"])
    .analyze();
  const summary = results.violations.map(
    (violation) =>
      `${violation.id} (${violation.impact}): ${violation.help} — ${violation.nodes
        .slice(0, 3)
        .map((node) => node.target.join(" "))
        .join(", ")}`,
  );
  expect(summary, `axe violations on ${page.url()}`).toEqual([]);
}

/**
 * A virtual WebAuthn authenticator in this page's browser (CDP `WebAuthn`): a platform
 * authenticator with resident keys and user verification, as a phone or laptop has.
 */
export async function addVirtualAuthenticator(
  page: Page,
): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

/** Signs in through the `/login` form (no second factor) and waits for the account page. */
export async function signInThroughForm(
  page: Page,
  email: string,
  password = STRONG_PASSWORD,
): Promise<void> {
  await page.goto("/login");
  await page.getByRole("textbox", { name: "Email" }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL(/\/account/);
}
