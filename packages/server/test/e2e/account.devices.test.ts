/**
 * The device list in Chromium: with the same person signed in in two browsers, each lists both
 * sessions and marks its own "This device"; "Sign out" on the other one ends that session at
 * once (its next page load is signed out), and "Sign out everywhere" ends every session, this
 * one too, back on the sign-in page.
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { uniqueEmail } from "../support/test-app.js";
import {
  browserSuitesEnabled,
  STRONG_PASSWORD,
  signInThroughForm,
  usePagesFixture,
} from "./support/pages-fixture.js";

describe.runIf(browserSuitesEnabled)("account page: devices", () => {
  const pages = usePagesFixture();

  async function twoBrowsersSignedIn() {
    const email = uniqueEmail("devices");
    const response = await pages.t.post("/v1/auth/register", { email, password: STRONG_PASSWORD });
    expect(response.statusCode, response.body).toBe(201);
    const first = await pages.open();
    const second = await pages.open({ width: 375 });
    await signInThroughForm(first.page, email);
    await signInThroughForm(second.page, email);
    await first.page.reload();
    return { first: first.page, second: second.page };
  }

  const devices = (page: Page) => page.getByRole("region", { name: "Devices", exact: true });

  it("signs the other device out: its next page load lands on sign-in", async () => {
    const { first, second } = await twoBrowsersSignedIn();
    await expect(devices(first).getByRole("listitem").count()).resolves.toBe(2);
    await expect(devices(first).getByText("This device").count()).resolves.toBe(1);
    const signOut = devices(first).getByRole("button", { name: "Sign out", exact: true });
    await expect(signOut.count()).resolves.toBe(1);
    await signOut.click();
    await first.waitForURL(/done=session-revoked/);
    await expect(devices(first).getByRole("status").first().textContent()).resolves.toContain(
      "That device is signed out.",
    );
    await expect(devices(first).getByRole("listitem").count()).resolves.toBe(1);

    await second.goto("/account");
    expect(new URL(second.url()).pathname).toBe("/login");
    // The first browser is still signed in.
    await first.goto("/account");
    expect(new URL(first.url()).pathname).toBe("/account");
  });

  it("signs out everywhere, this device too", async () => {
    const { first, second } = await twoBrowsersSignedIn();
    await devices(first).getByRole("button", { name: "Sign out everywhere" }).click();
    await first.waitForURL(/\/login\?signedOut=1/);
    await expect(first.getByRole("status").first().textContent()).resolves.toContain("You are signed out.");
    await first.goto("/account");
    expect(new URL(first.url()).pathname).toBe("/login");
    await second.goto("/account");
    expect(new URL(second.url()).pathname).toBe("/login");
  });
});
