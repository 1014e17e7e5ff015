/**
 * Connected accounts on the account page, in Chromium against a loopback stand-in for GitHub:
 * "Link GitHub" runs the provider flow with `link=1` on the cookie session and comes back with a
 * notice — after asking for the password in place when the sign-in is old — and "Unlink" removes
 * the identity; an account whose only way in is GitHub is told so in words instead.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeGitHub, startFakeGitHub } from "../support/fake-github.js";
import { createManualClock, uniqueEmail } from "../support/test-app.js";
import {
  browserSuitesEnabled,
  STRONG_PASSWORD,
  signInThroughForm,
  usePagesFixture,
} from "./support/pages-fixture.js";

const PAST_STEP_UP_MS = 11 * 60_000;

describe.runIf(browserSuitesEnabled)("account page: connected accounts", () => {
  let github: FakeGitHub | undefined;
  const env: Record<string, string> = {};
  let nextId = 5000;
  // Registered before the fixture's own hook, so the server starts with GitHub configured.
  beforeAll(async () => {
    github = await startFakeGitHub();
    Object.assign(env, github.portcullisEnv());
  });
  afterAll(async () => {
    await github?.close();
  });
  const clock = createManualClock(Date.now());
  const pages = usePagesFixture({ env, clock });

  const region = (page: Page) => page.getByRole("region", { name: "Connected accounts", exact: true });

  function nextGitHubUser(email: string) {
    const id = ++nextId;
    github?.setNextUser({
      id,
      login: `octo${id}`,
      name: "Mona Octocat",
      emails: [{ email, primary: true, verified: true }],
    });
  }

  it("links GitHub after a step-up in place, then unlinks it", async () => {
    const email = uniqueEmail("link");
    expect((await pages.t.post("/v1/auth/register", { email, password: STRONG_PASSWORD })).statusCode).toBe(
      201,
    );
    const { page } = await pages.open();
    await signInThroughForm(page, email);
    const connected = region(page);
    await expect(connected.getByText("No accounts are connected.").count()).resolves.toBe(1);
    // While the sign-in is recent the link goes straight to the provider flow.
    const href = await connected.getByRole("link", { name: "Link GitHub" }).getAttribute("href");
    expect(href).toBe(
      `/v1/oauth/github/start?transport=cookie&link=1&redirectTo=${encodeURIComponent(`${pages.baseUrl}/account`)}`,
    );

    clock.advance(PAST_STEP_UP_MS);
    await page.reload();
    nextGitHubUser(`mona-${nextId}@example.com`);
    await connected.getByRole("link", { name: "Link GitHub" }).click();
    await connected.getByRole("textbox", { name: "Password", exact: true }).fill(STRONG_PASSWORD);
    await connected.getByRole("button", { name: "Continue" }).click();
    await page.waitForURL(/done=confirmed-link/);
    await connected.getByRole("link", { name: "Link GitHub" }).click();
    await page.waitForURL(/\/account\?linked=github/);
    await expect(connected.getByRole("status").first().textContent()).resolves.toContain(
      "Your GitHub account is connected.",
    );
    await expect(connected.getByText("GitHub", { exact: true }).count()).resolves.toBe(1);
    await expect(connected.getByRole("link", { name: "Link GitHub" }).count()).resolves.toBe(0);

    await connected.getByRole("button", { name: "Unlink" }).click();
    await page.waitForURL(/done=identity-unlinked/);
    await expect(connected.getByText("GitHub", { exact: true }).count()).resolves.toBe(0);
    await expect(connected.getByRole("link", { name: "Link GitHub" }).count()).resolves.toBe(1);
  });

  it("says in words that the only way to sign in cannot be unlinked", async () => {
    const { page } = await pages.open();
    nextGitHubUser(uniqueEmail("only-github"));
    await page.goto("/login");
    await page.getByRole("link", { name: "Continue with GitHub" }).click();
    await page.waitForURL(`${pages.baseUrl}/account`);
    const connected = region(page);
    await connected.getByRole("button", { name: "Unlink" }).click();
    await expect(connected.getByRole("alert").textContent()).resolves.toContain(
      "This is your only way to sign in.",
    );
    await expect(connected.getByText("GitHub", { exact: true }).count()).resolves.toBe(1);
  });
});
