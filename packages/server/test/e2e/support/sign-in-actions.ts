/**
 * Actions of the sign-in browser suites, as a person (or the page's own script) performs them:
 * the password step, the second step, and — with the profile's cookies, the way a page's script
 * would — registering a passkey through the JSON API, asking who is signed in, and signing out.
 * Controls are found by role and accessible name (API.md "Pages for people").
 */
import type { Page } from "playwright-core";
import { expect } from "vitest";
import { STRONG_PASSWORD } from "./pages-fixture.js";

/**
 * The browser globals the actions below use inside `page.evaluate`, typed by hand: the server's
 * tsconfig has no DOM library (and must not get one).
 */
interface BrowserGlobals {
  navigator: { credentials: { create(options: { publicKey: unknown }): Promise<{ toJSON(): unknown }> } };
  PublicKeyCredential: { parseCreationOptionsFromJSON(json: unknown): unknown };
}

/** `/login[?redirectTo=…]`, email and password, "Sign in". */
export async function submitPassword(
  page: Page,
  email: string,
  options: { redirectTo?: string; password?: string } = {},
): Promise<void> {
  const query =
    options.redirectTo === undefined ? "" : `?redirectTo=${encodeURIComponent(options.redirectTo)}`;
  await page.goto(`/login${query}`);
  await page.getByRole("textbox", { name: "Email" }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(options.password ?? STRONG_PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

/** The password step of an account with a second factor: ends on `/login/mfa`. */
export async function reachSecondStep(page: Page, email: string, redirectTo?: string): Promise<void> {
  await submitPassword(page, email, redirectTo === undefined ? {} : { redirectTo });
  await page.waitForURL(/\/login\/mfa(\?|$)/);
}

/** Types `code` into "Code" and presses "Verify". */
export async function submitCode(page: Page, code: string): Promise<void> {
  await page.getByRole("textbox", { name: "Code" }).fill(code);
  await page.getByRole("button", { name: "Verify" }).click();
}

/** The text of the page's alert (exactly one is expected). */
export async function alertText(page: Page): Promise<string> {
  const alert = page.getByRole("alert");
  await alert.waitFor();
  return (await alert.textContent()) ?? "";
}

export interface SessionView {
  /** `GET /v1/me` status and the user's email (null when not signed in). */
  status: number;
  email: string | null;
  /** The current session's `amr` from `GET /v1/sessions` (empty when not signed in). */
  amr: string[];
}

/**
 * Who the browser is signed in as: `/v1/me` and `/v1/sessions` with the profile's cookies
 * (Playwright's request context shares them, and unlike a `fetch` from the page it does not
 * depend on the CSP of whatever document is open).
 */
export async function sessionOf(page: Page): Promise<SessionView> {
  const me = await page.request.get("/v1/me");
  if (!me.ok()) return { status: me.status(), email: null, amr: [] };
  const { user } = (await me.json()) as { user: { email: string } };
  const list = (await (await page.request.get("/v1/sessions")).json()) as {
    sessions: { current: boolean; amr: string[] }[];
  };
  return {
    status: me.status(),
    email: user.email,
    amr: list.sessions.find((session) => session.current)?.amr ?? [],
  };
}

/** A CSRF token for the profile's session, for JSON API calls with its cookie. */
async function csrfToken(page: Page): Promise<string> {
  const response = await page.request.get("/v1/auth/csrf");
  expect(response.status()).toBe(200);
  return ((await response.json()) as { csrfToken: string }).csrfToken;
}

/**
 * Registers a passkey on the page's (virtual) authenticator for the signed-in person, as the
 * account page's script does: registration options, `navigator.credentials.create` in the page
 * (on this origin, so the RP ID matches), then the credential's `toJSON()` to
 * `/v1/webauthn/registration` with the session's CSRF token.
 */
export async function registerPasskeyInPage(page: Page, name = "Test passkey"): Promise<{ id: string }> {
  const headers = { "x-csrf-token": await csrfToken(page), origin: new URL(page.url()).origin };
  const options = await page.request.post("/v1/webauthn/registration/options", { headers, data: {} });
  expect(options.status(), await options.text()).toBe(200);
  const credential = await page.evaluate(
    async (optionsJSON) => {
      const browser = globalThis as unknown as BrowserGlobals;
      const publicKey = browser.PublicKeyCredential.parseCreationOptionsFromJSON(optionsJSON);
      return (await browser.navigator.credentials.create({ publicKey })).toJSON();
    },
    (await options.json()) as unknown,
  );
  const registered = await page.request.post("/v1/webauthn/registration", {
    headers,
    data: { credential, name },
  });
  expect(registered.status(), await registered.text()).toBe(201);
  return ((await registered.json()) as { credential: { id: string } }).credential;
}

/**
 * Turns off passkey autofill (conditional mediation) in this page from the next navigation on.
 * A virtual authenticator answers a conditional request by itself as soon as it holds a passkey
 * for the site — a person would first have to pick it — so a test of the buttons turns it off.
 */
export async function withoutPasskeyAutofill(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const credential = (globalThis as { PublicKeyCredential?: { isConditionalMediationAvailable?: unknown } })
      .PublicKeyCredential;
    if (credential !== undefined) credential.isConditionalMediationAvailable = async () => false;
  });
}

/** Signs out through the JSON API (the session is revoked, the cookie cleared). */
export async function signOut(page: Page): Promise<void> {
  const response = await page.request.post("/v1/auth/logout", {
    headers: { "x-csrf-token": await csrfToken(page) },
    data: {},
  });
  expect(response.status()).toBe(204);
}
