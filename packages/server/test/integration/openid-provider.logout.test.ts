/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) at the OpenID provider's
 * `end_session_endpoint`. Invariants: with an `id_token_hint` and a registered
 * `post_logout_redirect_uri`, the person is asked first (a page with a "Sign out" button); signing
 * out there redirects to that URI with the app's `state`, ends the Portcullis cookie session behind
 * the provider's session and what it granted (the app's refresh token is refused); a
 * `post_logout_redirect_uri` the client did not register is refused with an error page and never
 * redirected to.
 */
import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OAuthClient } from "../../src/domain/oauth-clients/oauth-client.js";
import { createBrowser } from "../support/browser.js";
import {
  authorizationRequest,
  authorizeInBrowser,
  discover,
  submitForm,
} from "../support/openid-relying-party.js";
import { createTestApp, PUBLIC_URL, type TestApp, uniqueEmail } from "../support/test-app.js";

const APP = "https://app.example.com";
const CALLBACK = `${APP}/callback`;
const SIGNED_OUT = `${APP}/signed-out`;

describe("OpenID provider › RP-initiated logout", () => {
  let t: TestApp;
  let registered: { client: OAuthClient; clientSecret: string | null };
  let rp: client.Configuration;

  beforeAll(async () => {
    t = await createTestApp();
    const created = await t.services.clients.createClient(
      {
        name: "Team Wiki",
        type: "confidential",
        grantTypes: ["authorization_code", "refresh_token"],
        scopes: ["openid", "email", "offline_access"],
        redirectUris: [CALLBACK],
        postLogoutRedirectUris: [SIGNED_OUT],
      },
      null,
    );
    if (!created.ok) throw new Error(JSON.stringify(created));
    registered = { client: created.client, clientSecret: created.clientSecret };
    rp = await discover(t, registered);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A person signed in to the app through the provider, with an ID token and a refresh token. */
  async function signedInThroughApp() {
    const email = uniqueEmail("rp-logout");
    await t.signUp(email);
    const browser = createBrowser(t, []);
    const request = await authorizationRequest(rp, CALLBACK, "openid email offline_access", {
      prompt: "consent",
    });
    const flow = await authorizeInBrowser(browser, request, CALLBACK, { email });
    const tokens = await client.authorizationCodeGrant(rp, flow.callback, {
      pkceCodeVerifier: request.codeVerifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    expect((await browser.follow(`${PUBLIC_URL}/account`)).status).toBe(200);
    return { browser, tokens, idToken: String(tokens.id_token), refreshToken: String(tokens.refresh_token) };
  }

  it("asks first, then signs out, redirects to the registered URI with state, and ends the Portcullis session and the grant", async () => {
    const { browser, idToken, refreshToken } = await signedInThroughApp();
    const state = client.randomState();
    const logoutUrl = client.buildEndSessionUrl(rp, {
      id_token_hint: idToken,
      post_logout_redirect_uri: SIGNED_OUT,
      state,
    });
    expect(`${logoutUrl.origin}${logoutUrl.pathname}`).toBe(`${PUBLIC_URL}/oauth2/logout`);

    const question = await browser.request("GET", logoutUrl.href);
    expect(question.status).toBe(200);
    // Nothing has ended yet: the page only asks.
    expect((await browser.follow(`${PUBLIC_URL}/account`)).status).toBe(200);
    const button = /<button\b[^>]*>\s*Sign out\s*<\/button>/i.exec(question.body)?.[0];
    if (button === undefined) throw new Error(`no "Sign out" button: ${question.body}`);
    const name = /\bname="([^"]+)"/.exec(button)?.[1];
    const value = /\bvalue="([^"]*)"/.exec(button)?.[1];
    if (name === undefined || value === undefined)
      throw new Error(`the "Sign out" button sends nothing: ${button}`);

    const leaves = (url: URL) => url.href.startsWith(SIGNED_OUT);
    const signedOut = await submitForm(
      browser,
      question,
      "/oauth2/logout/confirm",
      { [name]: value },
      leaves,
    );
    expect(signedOut.status).toBe(303);
    const landing = new URL(signedOut.location ?? "");
    expect(`${landing.origin}${landing.pathname}`).toBe(SIGNED_OUT);
    expect(landing.searchParams.get("state")).toBe(state);

    // Both have ended before the app hears back.
    expect((await browser.request("GET", `${PUBLIC_URL}/account`)).location).toMatch(
      /^http:\/\/portcullis\.test\/login\?/,
    );
    // Introspection reads without spending: a refresh that succeeded would rotate the token.
    expect((await client.tokenIntrospection(rp, refreshToken)).active).toBe(false);
    await expect(client.refreshTokenGrant(rp, refreshToken)).rejects.toMatchObject({
      error: "invalid_grant",
    });
  });

  it('leaves the person signed in when they answer "Stay signed in"', async () => {
    const { browser, idToken, refreshToken } = await signedInThroughApp();
    const logoutUrl = client.buildEndSessionUrl(rp, {
      id_token_hint: idToken,
      post_logout_redirect_uri: SIGNED_OUT,
    });
    const question = await browser.request("GET", logoutUrl.href);
    expect(question.body).toContain("Stay signed in");
    // The other button submits the same form without `logout`.
    await submitForm(browser, question, "/oauth2/logout/confirm", {}, (url) =>
      url.href.startsWith(SIGNED_OUT),
    );
    expect((await browser.request("GET", `${PUBLIC_URL}/account`)).status).toBe(200);
    expect((await client.refreshTokenGrant(rp, refreshToken)).access_token).toEqual(expect.any(String));
  });

  it("refuses a post_logout_redirect_uri the client did not register, and redirects nowhere", async () => {
    const { browser, idToken, refreshToken } = await signedInThroughApp();
    const logoutUrl = client.buildEndSessionUrl(rp, {
      id_token_hint: idToken,
      post_logout_redirect_uri: "https://evil.example.com/signed-out",
      state: "s1",
    });
    // As a browser asks (the provider answers JSON to a request that does not accept HTML).
    const cookie = [...browser.cookies(PUBLIC_URL)]
      .map(([cookieName, value]) => `${cookieName}=${value}`)
      .join("; ");
    const refused = await t.app.inject({
      method: "GET",
      url: `${logoutUrl.pathname}${logoutUrl.search}`,
      headers: { host: logoutUrl.host, cookie, accept: "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8" },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.headers.location).toBeUndefined();
    expect(refused.headers["content-type"]).toMatch(/^text\/html/);
    expect(refused.body).toContain('role="alert"');
    expect(refused.body).toContain("post_logout_redirect_uri not registered");
    expect(refused.body).not.toContain("evil.example.com");
    expect(refused.body).not.toMatch(/<button\b[^>]*>\s*Sign out\s*<\/button>/i);
    // Nothing was ended.
    expect((await browser.follow(`${PUBLIC_URL}/account`)).status).toBe(200);
    expect((await client.refreshTokenGrant(rp, refreshToken)).access_token).toEqual(expect.any(String));
  });
});
