/**
 * WCAG 2.2 AA beyond what axe checks: every page is usable 320 px wide without scrolling sideways
 * (1.4.10 Reflow), and a person signs in with the keyboard alone, seeing where the focus is
 * (2.1.1 Keyboard, 2.4.7 Focus Visible).
 */
import { describe, expect, it } from "vitest";
import { uniqueEmail } from "../support/test-app.js";
import {
  browserSuitesEnabled,
  STRONG_PASSWORD,
  signInThroughForm,
  usePagesFixture,
} from "./support/pages-fixture.js";

describe.runIf(browserSuitesEnabled)("pages at 320 px and by keyboard alone", () => {
  const pages = usePagesFixture();

  async function adminEmail(): Promise<string> {
    const email = uniqueEmail("narrow-admin");
    const created = await pages.t.services.users.createUser(
      { email, password: STRONG_PASSWORD, roles: ["user", "admin"], emailVerified: true },
      null,
    );
    expect(created.ok).toBe(true);
    return email;
  }

  it("never scrolls sideways at 320 px, signed out or in", async () => {
    const { page } = await pages.open({ width: 320 });
    const overflow = () =>
      page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    for (const path of [
      "/login",
      "/register",
      "/forgot-password",
      "/reset-password?token=x",
      "/verify-email?token=x",
    ]) {
      await page.goto(path);
      expect(await overflow(), path).toBeLessThanOrEqual(0);
    }
    await signInThroughForm(page, await adminEmail());
    for (const path of ["/account", "/admin", "/admin/users", "/admin/audit", "/admin/keys"]) {
      await page.goto(path);
      expect(await overflow(), path).toBeLessThanOrEqual(0);
    }
  });

  it("signs in with the keyboard alone, the focus always visible", async () => {
    const email = uniqueEmail("keyboard");
    expect((await pages.t.post("/v1/auth/register", { email, password: STRONG_PASSWORD })).statusCode).toBe(
      201,
    );
    const { page } = await pages.open();
    await page.goto("/login");
    const focused = () =>
      page.evaluate(() => {
        const element = document.activeElement as HTMLElement | null;
        const style = element === null ? null : getComputedStyle(element);
        return {
          id: element?.id ?? "",
          outline: style === null ? "none" : style.outlineStyle,
        };
      });
    // The email field has the focus when the page opens.
    expect((await focused()).id).toBe("email");
    await page.keyboard.type(email);
    await page.keyboard.press("Tab");
    expect(await focused()).toEqual({ id: "password", outline: "solid" });
    await page.keyboard.type(STRONG_PASSWORD);
    await page.keyboard.press("Tab");
    expect(await focused()).toEqual({ id: "remember-me", outline: "solid" });
    await page.keyboard.press("Space");
    await page.keyboard.press("Tab");
    expect((await focused()).outline).toBe("solid");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/account$/);
    const cookies = await page.context().cookies();
    // "Remember me" was ticked with the space bar: the session cookie persists.
    expect(cookies.find((cookie) => cookie.name === "pc_session")?.expires ?? -1).toBeGreaterThan(0);
  });
});
