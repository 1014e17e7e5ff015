/**
 * A standard relying party (`openid-client`) pointed at the Portcullis under test: its requests
 * go through `app.inject()` (the `customFetch` hook of openid-client), and the browser part of
 * the code flow goes through the test browser, which submits Portcullis's own `/login` and
 * consent forms over HTTP like a person would.
 */
import * as client from "openid-client";
import type { OAuthClient } from "../../src/domain/oauth-clients/oauth-client.js";
import type { Browser, Page } from "./browser.js";
import { PUBLIC_URL, STRONG_PASSWORD, type TestApp } from "./test-app.js";

/** openid-client's fetch, answered by `app.inject()`. */
export function injectFetch(t: Pick<TestApp, "app">): client.CustomFetch {
  return async (url, options) => {
    const target = new URL(url);
    const headers: Record<string, string> = { host: target.host };
    new Headers(options.headers as HeadersInit | undefined).forEach((value, name) => {
      headers[name] = value;
    });
    const body = options.body;
    const response = await t.app.inject({
      method: options.method as "GET" | "POST",
      url: `${target.pathname}${target.search}`,
      headers,
      ...(body === undefined || body === null
        ? {}
        : { payload: typeof body === "string" ? body : String(body) }),
    });
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(response.headers)) {
      if (value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [String(value)]) responseHeaders.append(name, item);
    }
    const empty = response.statusCode === 204 || response.statusCode === 304;
    return new Response(empty ? null : new Uint8Array(response.rawPayload), {
      status: response.statusCode,
      headers: responseHeaders,
    });
  };
}

export async function discover(
  t: Pick<TestApp, "app">,
  registered: { client: OAuthClient; clientSecret: string | null },
): Promise<client.Configuration> {
  const authentication =
    registered.clientSecret === null ? client.None() : client.ClientSecretBasic(registered.clientSecret);
  const fetch = injectFetch(t);
  const config = await client.discovery(
    new URL(PUBLIC_URL),
    registered.client.id,
    undefined,
    authentication,
    {
      execute: [client.allowInsecureRequests],
      [client.customFetch]: fetch,
    },
  );
  config[client.customFetch] = fetch;
  return config;
}

export interface AuthorizationRequest {
  url: URL;
  codeVerifier: string;
  state: string;
  nonce: string;
}

export async function authorizationRequest(
  config: client.Configuration,
  redirectUri: string,
  scope: string,
  extra: Record<string, string> = {},
): Promise<AuthorizationRequest> {
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    state,
    nonce,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: "S256",
    ...extra,
  });
  return { url, codeVerifier, state, nonce };
}

/** Is this the app's redirect URI (where the flow leaves Portcullis)? */
const leavesFor = (redirectUri: string) => (url: URL) => url.href.startsWith(redirectUri);

const decode = (text: string) =>
  text
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/&amp;/g, "&")
    .replace(/&quot;/g, '"');

/** Submits the first form on `page` whose action ends with `actionSuffix` and carries `match` (its hidden fields too). */
export async function submitForm(
  browser: Browser,
  page: Page,
  actionSuffix: string,
  fields: Record<string, string>,
  stopBefore: (url: URL) => boolean,
  match: (formHtml: string) => boolean = () => true,
): Promise<Page> {
  const forms = [...page.body.matchAll(/<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)];
  const form = forms.find(([html, action]) => decode(action ?? "").endsWith(actionSuffix) && match(html));
  if (form === undefined)
    throw new Error(`no form with action …${actionSuffix} on ${page.url}: ${page.body.slice(0, 500)}`);
  const hidden: Record<string, string> = {};
  for (const input of (form[2] ?? "").matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = /name="([^"]*)"/.exec(input[0])?.[1];
    const value = /value="([^"]*)"/.exec(input[0])?.[1] ?? "";
    if (name !== undefined) hidden[name] = decode(value);
  }
  const posted = await browser.request("POST", new URL(decode(form[1] ?? ""), page.url).href, {
    ...hidden,
    ...fields,
  });
  if (posted.location === undefined || stopBefore(new URL(posted.location))) return posted;
  return browser.follow(posted.location, stopBefore);
}

/**
 * Drives the browser from the authorization URL through sign-in (when asked) and consent (when
 * asked, answering `decision`) to the redirect back to the app; returns that redirect.
 */
export async function authorizeInBrowser(
  browser: Browser,
  request: AuthorizationRequest | URL,
  redirectUri: string,
  person: { email: string; password?: string },
  decision: "allow" | "deny" = "allow",
): Promise<{ callback: URL; sawLogin: boolean; sawConsent: boolean; consentPage: Page | undefined }> {
  const stop = leavesFor(redirectUri);
  let page = await browser.follow((request instanceof URL ? request : request.url).href, stop);
  let sawLogin = false;
  let consentPage: Page | undefined;
  if (page.status === 200 && new URL(page.url).pathname === "/login") {
    sawLogin = true;
    page = await submitForm(
      browser,
      page,
      "/login",
      { email: person.email, password: person.password ?? STRONG_PASSWORD },
      stop,
    );
  }
  if (page.status === 200 && new URL(page.url).pathname.startsWith("/interaction/")) {
    consentPage = page;
    page = await submitForm(browser, page, "/consent", {}, stop, (html) =>
      html.includes(`value="${decision}"`),
    );
  }
  const location = page.status === 0 ? page.url : page.location;
  if (location === undefined || !stop(new URL(location)))
    throw new Error(
      `the flow did not come back to ${redirectUri}: ${page.status} ${page.url}\n${page.body.slice(0, 800)}`,
    );
  return { callback: new URL(location), sawLogin, sawConsent: consentPage !== undefined, consentPage };
}
