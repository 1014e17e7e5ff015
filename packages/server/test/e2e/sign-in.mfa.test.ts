/**
 * The second step of signing in, in Chromium: after the password an account with TOTP lands on
 * `/login/mfa`, and only a right code — the authenticator app's current one, or an unused backup
 * code — finishes the sign-in, landing where `redirectTo` said. A code already used, a wrong code
 * and an empty form are said in words in an alert; after too many wrong codes the sign-in ends
 * and the person is back at the password form with the reason in words. The mfaToken lives only
 * in an HttpOnly cookie: never in the page, a URL or `document.cookie`.
 *
 * The app runs on a manual clock so each test can move to a TOTP step the server has not seen.
 */
import { describe, expect, it } from "vitest";
import { totpCode } from "../../src/domain/mfa/totp.js";
import { currentCode, enrolTotp, nextStep, TOTP_STEP_MS, type TotpEnrolment } from "../support/mfa.js";
import { bearer, createManualClock, uniqueEmail } from "../support/test-app.js";
import { browserSuitesEnabled, expectAccessible, usePagesFixture } from "./support/pages-fixture.js";
import { alertText, reachSecondStep, sessionOf, submitCode } from "./support/sign-in-actions.js";

const WRONG_CODE_WORDS = "That code is not right, or it was used already.";
const ENDED_WORDS = "The sign-in took too long or had too many wrong codes. Please sign in again.";

describe.runIf(browserSuitesEnabled)("sign-in page › second factor (TOTP and backup codes)", () => {
  const clock = createManualClock(Date.now());
  const pages = usePagesFixture({ clock });

  /** A new account with TOTP turned on through the JSON API; the clock then moves to a fresh step. */
  async function totpUser(): Promise<{ email: string } & TotpEnrolment> {
    const email = uniqueEmail("mfa-page");
    const tokens = await pages.t.signUp(email);
    const enrolment = await enrolTotp(pages.t, bearer(tokens.accessToken));
    nextStep(clock);
    return { email, ...enrolment };
  }

  /** A six-digit code that is none of the codes the server accepts right now. */
  function wrongCode(secret: Uint8Array): string {
    const near = new Set([-1, 0, 1].map((step) => totpCode(secret, clock.now() + step * TOTP_STEP_MS)));
    for (let n = 0; ; n++) {
      const code = String(n).padStart(6, "0");
      if (!near.has(code)) return code;
    }
  }

  it("asks for the code after the password, keeps the token out of the page, and signs in with the app's code", async () => {
    const user = await totpUser();
    const { context, page } = await pages.open();
    const urls: string[] = [];
    page.on("request", (request) => urls.push(request.url()));
    await reachSecondStep(page, user.email, "/account?from=mfa");

    await expect(page.title()).resolves.toMatch(/Two-step verification/);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Enter your code");
    await expect(page.getByRole("textbox", { name: "Code" }).count()).resolves.toBe(1);
    await expect(page.getByRole("button", { name: "Verify" }).count()).resolves.toBe(1);
    // TOTP only: no passkey to offer.
    await expect(page.getByRole("button", { name: "Use a passkey" }).count()).resolves.toBe(0);

    const mfaCookie = (await context.cookies()).find((cookie) => cookie.name === "pc_mfa");
    expect(mfaCookie?.httpOnly).toBe(true);
    expect(mfaCookie?.path).toBe("/login");
    const token = (mfaCookie?.value ?? "").split("~")[0] ?? "";
    expect(token.length).toBeGreaterThan(20);
    expect(await page.content()).not.toContain(token);
    expect(
      await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie),
    ).not.toContain("pc_mfa");

    await submitCode(page, currentCode(pages.t, user.secret));
    await page.waitForURL(`${pages.baseUrl}/account?from=mfa`);
    const session = await sessionOf(page);
    expect(session.email).toBe(user.email);
    expect(session.amr).toEqual(expect.arrayContaining(["pwd", "otp", "mfa"]));
    expect((await context.cookies()).some((cookie) => cookie.name === "pc_mfa")).toBe(false);
    expect(urls.filter((url) => url.includes(token))).toEqual([]);
  });

  it("refuses a TOTP code that was already used, in words", async () => {
    const user = await totpUser();
    const code = currentCode(pages.t, user.secret);
    const first = await pages.open();
    await reachSecondStep(first.page, user.email);
    await submitCode(first.page, code);
    await first.page.waitForURL(/\/account/);

    const second = await pages.open();
    await reachSecondStep(second.page, user.email);
    await submitCode(second.page, code);
    await expect(alertText(second.page)).resolves.toContain(WRONG_CODE_WORDS);
    expect(new URL(second.page.url()).pathname).toBe("/login/mfa");
    await expect(second.page.getByRole("textbox", { name: "Code" }).inputValue()).resolves.toBe("");
    expect((await sessionOf(second.page)).status).toBe(401);

    nextStep(clock);
    await submitCode(second.page, currentCode(pages.t, user.secret));
    await second.page.waitForURL(/\/account/);
    expect((await sessionOf(second.page)).email).toBe(user.email);
  });

  it("signs in with a backup code once, and refuses the same backup code again in words", async () => {
    const user = await totpUser();
    const backupCode = user.backupCodes[0] ?? "";
    const first = await pages.open();
    await reachSecondStep(first.page, user.email);
    await submitCode(first.page, backupCode);
    await first.page.waitForURL(/\/account/);
    const session = await sessionOf(first.page);
    expect(session.email).toBe(user.email);
    expect(session.amr).toEqual(expect.arrayContaining(["pwd", "otp", "mfa"]));

    const second = await pages.open();
    await reachSecondStep(second.page, user.email);
    await submitCode(second.page, backupCode);
    await expect(alertText(second.page)).resolves.toContain(WRONG_CODE_WORDS);
    await expectAccessible(second.page);
    await submitCode(second.page, user.backupCodes[1] ?? "");
    await second.page.waitForURL(/\/account/);
  });

  it("says a wrong code and an empty form in words, accessible in light and dark", async () => {
    const user = await totpUser();
    for (const colorScheme of ["light", "dark"] as const) {
      const { page } = await pages.open({ colorScheme });
      await reachSecondStep(page, user.email);
      await expectAccessible(page);
      await page.getByRole("button", { name: "Verify" }).click();
      await expect(alertText(page)).resolves.toContain("Enter the code from your authenticator app");
      await submitCode(page, wrongCode(user.secret));
      await expect(alertText(page)).resolves.toContain(WRONG_CODE_WORDS);
      expect(new URL(page.url()).pathname).toBe("/login/mfa");
      await expectAccessible(page);
    }
  });

  it("ends the sign-in after too many wrong codes: the words for it, and back to the password form", async () => {
    const user = await totpUser();
    const { context, page } = await pages.open();
    await reachSecondStep(page, user.email);
    const wrong = wrongCode(user.secret);
    // The mfaToken allows five attempts; the sixth finds it gone.
    for (let attempt = 1; attempt <= 5; attempt++) {
      await submitCode(page, wrong);
      await expect(alertText(page)).resolves.toContain(WRONG_CODE_WORDS);
    }
    await submitCode(page, currentCode(pages.t, user.secret));
    await expect(alertText(page)).resolves.toContain(ENDED_WORDS);
    await expect(page.getByRole("textbox", { name: "Email" }).count()).resolves.toBe(1);
    await expect(page.getByRole("button", { name: "Sign in", exact: true }).count()).resolves.toBe(1);
    expect((await context.cookies()).some((cookie) => cookie.name === "pc_mfa")).toBe(false);
    expect((await sessionOf(page)).status).toBe(401);
    await expectAccessible(page);

    // The second step cannot be reopened without the password.
    await page.goto("/login/mfa");
    expect(new URL(page.url()).pathname).toBe("/login");
  });
});
