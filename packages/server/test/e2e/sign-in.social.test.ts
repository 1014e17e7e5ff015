/**
 * "Continue with <provider>" on `/login`, end to end in Chromium through a real OpenID provider on
 * loopback (oidc-provider, test/support/oidc-provider.ts): the link starts the flow on the cookie
 * transport, the person signs in and allows at the provider, and the browser comes back to
 * `/login`, which sends it — now signed in, `amr` `fed` — on to `redirectTo`. When the flow fails
 * (an account with that address already exists, or the person denies at the provider) `/login`
 * says why in words, and nobody is signed in.
 */

import type { Page } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { startOidcProvider, type TestOidcProvider } from "../support/oidc-provider.js";
import { uniqueEmail } from "../support/test-app.js";
import {
  browserSuitesEnabled,
  expectAccessible,
  STRONG_PASSWORD,
  saveScreenshot,
  usePagesFixture,
} from "./support/pages-fixture.js";
import { alertText, sessionOf } from "./support/sign-in-actions.js";

const PROVIDER_BUTTON = "Continue with Testidp";

describe.runIf(browserSuitesEnabled)("sign-in page › social login", () => {
  let idp: TestOidcProvider | undefined;
  // The provider must know Portcullis' callback URL, which has the fixture's port: start it there.
  const pages = usePagesFixture({
    env: async (baseUrl) => {
      idp = await startOidcProvider({ redirectUris: [`${baseUrl}/v1/oauth/testidp/callback`] });
      return idp.portcullisEnv("testidp");
    },
  });
  afterAll(async () => {
    await idp?.close();
  });

  const provider = () => {
    if (idp === undefined) throw new Error("the test provider is not started");
    return idp;
  };

  /** At the provider: its login form, then its consent form ("Allow" or "Deny"). */
  async function throughProvider(page: Page, answer: "Allow" | "Deny"): Promise<void> {
    await page.waitForURL((url) => url.origin === provider().issuer);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: answer }).click();
    await page.waitForURL((url) => url.origin === pages.baseUrl);
  }

  it("offers the provider on /login, accessible in light and dark, wide and narrow", {
    timeout: 90_000,
  }, async () => {
    for (const [colorScheme, width] of [
      ["light", 1280],
      ["dark", 1280],
      ["light", 375],
      ["dark", 375],
    ] as const) {
      const { page } = await pages.open({ colorScheme, width });
      await page.goto("/login");
      const link = page.getByRole("link", { name: PROVIDER_BUTTON });
      await expect(link.count()).resolves.toBe(1);
      const href = new URL((await link.getAttribute("href")) ?? "", pages.baseUrl);
      expect(href.pathname).toBe("/v1/oauth/testidp/start");
      expect(href.searchParams.get("transport")).toBe("cookie");
      expect(href.searchParams.get("redirectTo")).toBe(`${pages.baseUrl}/login`);
      await expectAccessible(page);
      await saveScreenshot(page, `login-social-${colorScheme}-${width}`);
    }
  });

  it("signs a new person in through the provider and lands where redirectTo said", async () => {
    const email = uniqueEmail("social-page");
    provider().setNextUser({ sub: `sub-${email}`, email, email_verified: true, name: "Grace Hopper" });
    const { page } = await pages.open();
    await page.goto(`/login?redirectTo=${encodeURIComponent("/account?from=social")}`);
    await page.getByRole("link", { name: PROVIDER_BUTTON }).click();
    await throughProvider(page, "Allow");
    await page.waitForURL(`${pages.baseUrl}/account?from=social`);
    const session = await sessionOf(page);
    expect(session.email).toBe(email);
    expect(session.amr).toContain("fed");
    // No token or code in the address the browser ended on.
    expect(new URL(page.url()).searchParams.has("code")).toBe(false);
  });

  it("says in words that an account with the address exists, and signs nobody in", async () => {
    const email = uniqueEmail("social-exists");
    const registered = await pages.t.post("/v1/auth/register", { email, password: STRONG_PASSWORD });
    expect(registered.statusCode).toBe(201);
    provider().setNextUser({ sub: `sub-${email}`, email, email_verified: true });
    const { page } = await pages.open();
    await page.goto("/login");
    await page.getByRole("link", { name: PROVIDER_BUTTON }).click();
    await throughProvider(page, "Allow");
    const landed = new URL(page.url());
    expect(landed.pathname).toBe("/login");
    expect(landed.searchParams.get("error")).toBe("account_exists");
    await expect(alertText(page)).resolves.toContain("An account with that email address already exists.");
    expect((await sessionOf(page)).status).toBe(401);
    await expectAccessible(page);
  });

  it("says in words that the sign-in was cancelled when the person denies at the provider", async () => {
    const email = uniqueEmail("social-deny");
    provider().setNextUser({ sub: `sub-${email}`, email, email_verified: true });
    const { page } = await pages.open();
    await page.goto("/login");
    await page.getByRole("link", { name: PROVIDER_BUTTON }).click();
    await throughProvider(page, "Deny");
    expect(new URL(page.url()).pathname).toBe("/login");
    await expect(alertText(page)).resolves.toContain("Signing in with that provider was cancelled.");
    expect((await sessionOf(page)).status).toBe(401);
  });
});
