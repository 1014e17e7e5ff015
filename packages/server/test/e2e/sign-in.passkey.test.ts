/**
 * Passkeys on the sign-in pages, in Chromium with a virtual authenticator (CDP WebAuthn, user
 * verification on): "Sign in with a passkey" alone signs a person in (the session's `amr` says
 * `hwk`) and lands where `redirectTo` said; on `/login/mfa` "Use a passkey" is the second factor
 * of a password sign-in, while the mfaToken stays in its HttpOnly cookie — the script gets the
 * ceremony's options from a page route and posts the assertion in a form. Failures are said in
 * words in an alert; a forged or malformed assertion is refused in words, never with a 500. The
 * passkey controls are hidden where the browser has no WebAuthn, and the script stays small.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { PUBLIC_DIR } from "../../scripts/build-page-assets.js";
import { currentCode, enrolTotp, nextStep } from "../support/mfa.js";
import { bearer, createManualClock, uniqueEmail } from "../support/test-app.js";
import {
  addVirtualAuthenticator,
  browserSuitesEnabled,
  expectAccessible,
  saveScreenshot,
  signInThroughForm,
  usePagesFixture,
} from "./support/pages-fixture.js";
import {
  alertText,
  reachSecondStep,
  registerPasskeyInPage,
  sessionOf,
  signOut,
  submitCode,
  withoutPasskeyAutofill,
} from "./support/sign-in-actions.js";

const PASSKEY_FAILED = "Signing in with a passkey did not work.";
const SCRIPT_BUDGET_BYTES = 30 * 1024;

describe.runIf(browserSuitesEnabled)("sign-in page › passkeys", () => {
  const clock = createManualClock(Date.now());
  const pages = usePagesFixture({ clock });

  async function registeredUser(
    prefix = "passkey",
  ): Promise<{ id: string; email: string; accessToken: string }> {
    const email = uniqueEmail(prefix);
    const tokens = await pages.t.signUp(email);
    return { id: tokens.user.id, email, accessToken: tokens.accessToken };
  }

  /**
   * A page whose virtual authenticator holds a passkey of a new account, signed out again. Passkey
   * autofill is off unless asked for (the virtual authenticator would answer it by itself).
   */
  async function personWithPasskey(autofill = false): Promise<{ id: string; email: string; page: Page }> {
    const { id, email } = await registeredUser();
    const { page } = await pages.open();
    if (!autofill) await withoutPasskeyAutofill(page);
    await addVirtualAuthenticator(page);
    await signInThroughForm(page, email);
    await registerPasskeyInPage(page);
    await signOut(page);
    expect((await sessionOf(page)).status).toBe(401);
    return { id, email, page };
  }

  /**
   * An account with TOTP and a passkey: TOTP through the JSON API, then — signed in with the
   * password and a code — a passkey registered on this page's authenticator; then signed out.
   */
  async function personWithTotpAndPasskey(): Promise<{ email: string; secret: Uint8Array; page: Page }> {
    const { email, accessToken } = await registeredUser("passkey-mfa");
    const { secret } = await enrolTotp(pages.t, bearer(accessToken));
    nextStep(clock);
    const { page } = await pages.open();
    await withoutPasskeyAutofill(page);
    await addVirtualAuthenticator(page);
    await reachSecondStep(page, email);
    await submitCode(page, currentCode(pages.t, secret));
    await page.waitForURL(/\/account/);
    await registerPasskeyInPage(page);
    await signOut(page);
    return { email, secret, page };
  }

  it("signs in with a passkey alone and lands where redirectTo said, with amr hwk", async () => {
    const { email, page } = await personWithPasskey();
    await page.goto(`/login?redirectTo=${encodeURIComponent("/account?from=passkey")}`);
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await page.waitForURL(`${pages.baseUrl}/account?from=passkey`);
    const session = await sessionOf(page);
    expect(session.email).toBe(email);
    expect(session.amr).toContain("hwk");
    expect(session.amr).not.toContain("pwd");
  });

  it("offers the passkey in the email field's autofill, and signs in with it", async () => {
    const { email, page } = await personWithPasskey(true);
    const chosen = page.waitForResponse((response) => response.url().endsWith("/v1/webauthn/authentication"));
    expect((await pages.t.get("/login")).body).toContain('autocomplete="username webauthn"');
    await page.goto("/login");
    // The virtual authenticator picks its passkey from the autofill offer at once; a person would choose it.
    expect((await chosen).status()).toBe(200);
    await page.waitForURL(`${pages.baseUrl}/account`);
    const session = await sessionOf(page);
    expect(session.email).toBe(email);
    expect(session.amr).toContain("hwk");
  });

  it("says a failed passkey ceremony in words, once, in an alert — and nothing for the autofill offer", async () => {
    const { page } = await pages.open();
    await addVirtualAuthenticator(page);
    const ceremonies: string[] = [];
    page.on("request", (request) => {
      if (request.url().endsWith("/v1/webauthn/authentication/options")) ceremonies.push(request.url());
    });
    const offered = page.waitForResponse((response) =>
      response.url().endsWith("/v1/webauthn/authentication/options"),
    );
    await page.goto("/login");
    // The autofill offer is out; this authenticator has no passkey for the site, which is no
    // reason to tell the person anything before they ask.
    expect((await offered).status()).toBe(200);
    await expect(page.getByRole("alert").count()).resolves.toBe(0);
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await expect(alertText(page)).resolves.toContain(PASSKEY_FAILED);
    expect(ceremonies.length).toBeGreaterThanOrEqual(2);
    await expect(page.getByRole("alert").count()).resolves.toBe(1);
    expect(new URL(page.url()).pathname).toBe("/login");
    expect((await sessionOf(page)).status).toBe(401);
    await expectAccessible(page);
  });

  it("says in words why a disabled account's passkey cannot sign in", async () => {
    const { id, page } = await personWithPasskey();
    const disabled = await pages.t.services.userAdmin.updateUser(
      id,
      { disabled: true },
      { userId: id, client: { ip: "127.0.0.1", userAgent: "test" } },
    );
    expect(disabled.ok).toBe(true);
    await page.goto("/login");
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await expect(alertText(page)).resolves.toContain("This account is disabled.");
    expect((await sessionOf(page)).status).toBe(401);
  });

  it("hides the passkey controls where the browser has no WebAuthn; the password and codes still work", async () => {
    const { email, secret } = await personWithTotpAndPasskey();
    const { page } = await pages.open();
    await page.addInitScript(() => {
      delete (globalThis as { PublicKeyCredential?: unknown }).PublicKeyCredential;
    });
    await page.goto("/login");
    await expect(page.getByRole("button", { name: "Sign in with a passkey" }).count()).resolves.toBe(0);
    await expectAccessible(page);

    await reachSecondStep(page, email);
    await expect(page.getByRole("button", { name: "Use a passkey" }).count()).resolves.toBe(0);
    await expect(
      page.getByText("This browser cannot use passkeys. Enter a code instead.").isVisible(),
    ).resolves.toBe(true);
    await expectAccessible(page);
    nextStep(clock);
    await submitCode(page, currentCode(pages.t, secret));
    await page.waitForURL(/\/account/);
    expect((await sessionOf(page)).email).toBe(email);
  });

  it("uses a passkey as the second factor; the mfaToken never reaches the script or a URL", async () => {
    const { email, page } = await personWithTotpAndPasskey();
    const seen: { url: string; body: string }[] = [];
    page.on("request", (request) => seen.push({ url: request.url(), body: request.postData() ?? "" }));
    await reachSecondStep(page, email, "/account?from=mfa-passkey");
    const token = (await page.context().cookies())
      .find((cookie) => cookie.name === "pc_mfa")
      ?.value.split("~")[0];
    expect(token?.length ?? 0).toBeGreaterThan(20);

    await page.getByRole("button", { name: "Use a passkey" }).click();
    await page.waitForURL(`${pages.baseUrl}/account?from=mfa-passkey`);
    const session = await sessionOf(page);
    expect(session.email).toBe(email);
    expect(session.amr).toEqual(expect.arrayContaining(["pwd", "hwk", "mfa"]));
    const leaks = seen.filter(
      (request) => request.url.includes(token ?? "-") || request.body.includes(token ?? "-"),
    );
    expect(leaks).toEqual([]);
  });

  it("refuses a malformed or forged passkey answer on /login/mfa in words, and the code still works", async () => {
    const { email, secret, page } = await personWithTotpAndPasskey();
    await reachSecondStep(page, email);
    const submitAssertion = async (value: string) => {
      const response = page.waitForResponse((candidate) => candidate.url().endsWith("/login/mfa"));
      await page.evaluate((json) => {
        const doc = (globalThis as unknown as { document: FormDocument }).document;
        const form = doc.getElementById("passkey-form");
        form?.querySelector('input[name="webauthn"]')?.setAttribute("value", json);
        form?.submit();
      }, value);
      return (await response).status();
    };
    const forged = {
      id: "AAAA",
      rawId: "AAAA",
      type: "public-key",
      response: { clientDataJSON: "AAAA", authenticatorData: "AAAA", signature: "AAAA" },
      clientExtensionResults: {},
    };
    for (const [value, status] of [
      ["{not json", 400],
      [JSON.stringify({ ...forged, type: "password" }), 400],
      [JSON.stringify({ ...forged, id: "x".repeat(9_000) }), 400],
      [JSON.stringify(forged), 401],
    ] as const) {
      expect(await submitAssertion(value)).toBe(status);
      await expect(alertText(page)).resolves.toContain("The passkey could not be checked");
      expect(new URL(page.url()).pathname).toBe("/login/mfa");
    }
    nextStep(clock);
    await submitCode(page, currentCode(pages.t, secret));
    await page.waitForURL(/\/account/);
    expect((await sessionOf(page)).email).toBe(email);
  });

  it("answers the passkey options route in words without a pending sign-in, and refuses it without the form token", async () => {
    const { page } = await pages.open();
    await page.goto("/login");
    const withoutSignIn = await page.evaluate(async () => {
      const doc = (globalThis as unknown as { document: FormDocument }).document;
      const token = doc.querySelector('meta[name="csrf-token"]')?.getAttribute("content") ?? "";
      const response = await fetch("/login/mfa/passkey-options", {
        method: "POST",
        body: new URLSearchParams({ _csrf: token }),
      });
      return { status: response.status, body: (await response.json()) as { message?: string } };
    });
    expect(withoutSignIn).toEqual({
      status: 401,
      body: { message: "The sign-in took too long or had too many wrong codes. Please sign in again." },
    });
    const withoutToken = await page.request.post("/login/mfa/passkey-options", { form: { x: "1" } });
    expect(withoutToken.status()).toBe(403);
  });

  it("shows /login/mfa with its passkey option, accessible and tidy in light and dark, wide and narrow", async () => {
    const { email } = await personWithTotpAndPasskey();
    for (const colorScheme of ["light", "dark"] as const) {
      for (const width of [1280, 375]) {
        const { page } = await pages.open({ colorScheme, width });
        await reachSecondStep(page, email);
        await expect(page.getByRole("button", { name: "Use a passkey" }).isVisible()).resolves.toBe(true);
        await expect(page.getByRole("textbox", { name: "Code" }).count()).resolves.toBe(1);
        if (width === 1280) await expectAccessible(page);
        await saveScreenshot(page, `login-mfa-${colorScheme}-${width}`);
      }
    }
  });

  it("keeps the sign-in page's scripts under 30 KB gzipped", async () => {
    const { page } = await pages.open();
    await page.goto("/login");
    const scripts = await page
      .locator("script[src]")
      .evaluateAll((elements) => elements.map((element) => element.getAttribute("src") ?? ""));
    expect(scripts.length).toBeGreaterThan(0);
    let served = 0;
    for (const url of scripts) {
      const response = await pages.t.app.inject({ url, headers: { "accept-encoding": "gzip" } });
      expect(response.headers["content-encoding"]).toBe("gzip");
      served += response.rawPayload.length;
    }
    const manifest = JSON.parse(readFileSync(join(PUBLIC_DIR, "manifest.json"), "utf8")) as Record<
      string,
      string
    >;
    const onDisk = readFileSync(join(PUBLIC_DIR, `${manifest["sign-in.js"]}.gz`)).length;
    expect(onDisk).toBeGreaterThan(1_000);
    expect(served).toBeGreaterThanOrEqual(onDisk);
    expect(served).toBeLessThan(SCRIPT_BUDGET_BYTES);
  });
});

/** The few DOM calls the tests make inside the page (the server's tsconfig has no DOM library). */
interface FormDocument {
  getElementById(id: string): {
    querySelector(selector: string): { setAttribute(name: string, value: string): void } | null;
    submit(): void;
  } | null;
  querySelector(selector: string): { getAttribute(name: string): string | null } | null;
}
