/**
 * One social-login flow driven the way a browser drives it: Portcullis' start endpoint → the
 * provider's authorization endpoint → its login form → its consent form → Portcullis' callback →
 * the app's `redirectTo`. Hooks let a test tamper with the authorization URL or stop before the
 * callback, as an attacker in the middle would.
 */
import { expect } from "vitest";
import type { Browser, Page } from "./browser.js";
import { PUBLIC_URL } from "./test-app.js";

export interface SocialLoginFlowOptions {
  provider?: string;
  redirectTo?: string;
  transport?: "token" | "cookie";
  link?: boolean;
  /** Refuse at the consent form. */
  deny?: boolean;
  /** Change the authorization request before the browser follows it. */
  tamper?: (authorizationUrl: URL) => void;
  /** Return the callback URL instead of opening it. */
  stopBeforeCallback?: boolean;
}

export function startUrl(options: SocialLoginFlowOptions = {}): string {
  const url = new URL(`${PUBLIC_URL}/v1/oauth/${options.provider ?? "testidp"}/start`);
  if (options.redirectTo !== undefined) url.searchParams.set("redirectTo", options.redirectTo);
  if (options.transport !== undefined) url.searchParams.set("transport", options.transport);
  if (options.link === true) url.searchParams.set("link", "1");
  return url.href;
}

/** The page the flow ends on: normally the 302 to `redirectTo` (see `landing`). */
export async function runSocialLogin(browser: Browser, options: SocialLoginFlowOptions = {}): Promise<Page> {
  const started = await browser.request("GET", startUrl(options));
  expect(started.status, started.body).toBe(302);
  return continueAtProvider(browser, started.location ?? "", options);
}

/** The flow from the provider's authorization URL on. */
export async function continueAtProvider(
  browser: Browser,
  authorizationUrl: string,
  options: SocialLoginFlowOptions = {},
): Promise<Page> {
  const url = new URL(authorizationUrl);
  options.tamper?.(url);
  const stop =
    options.stopBeforeCallback === true ? (next: URL) => next.pathname.endsWith("/callback") : undefined;
  const login = await browser.follow(url.href, stop);
  // A provider that refuses the request outright sends the browser straight back.
  if (!login.body.includes("/login")) return login;
  const consent = await browser.submit(login, "/login", { login: "someone", password: "anything" }, stop);
  return browser.submit(consent, options.deny === true ? "/abort" : "/confirm", {}, stop);
}

/** The `redirectTo` URL a finished flow sent the browser to. */
export function landing(page: Page): URL {
  expect(page.status, `expected a redirect, got ${page.status} ${page.body}`).toBe(302);
  return new URL(page.location ?? "");
}
