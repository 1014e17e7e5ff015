/**
 * What the OpenID provider refuses (API.md "The OpenID provider"; RFC 9700, the OAuth 2.0
 * security BCP): an unregistered redirect URI gets an error page and no redirect at all; `plain`
 * PKCE and a public client without PKCE are refused; a code works once, and using it twice revokes
 * what it gave; a client cannot use another client's refresh token; `state` comes back untouched.
 */
import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OAuthClient } from "../../src/domain/oauth-clients/oauth-client.js";
import { createBrowser } from "../support/browser.js";
import { authorizationRequest, authorizeInBrowser, discover } from "../support/openid-relying-party.js";
import { bearer, createTestApp, PUBLIC_URL, type TestApp, uniqueEmail } from "../support/test-app.js";

const APP = "https://app.example.com";
const CALLBACK = `${APP}/callback`;
const SPA_CALLBACK = "https://spa.example.com/callback";

type Registered = { client: OAuthClient; clientSecret: string | null };

describe("OpenID provider › refusals", () => {
  let t: TestApp;
  let web: Registered;
  let spa: Registered;
  let webRp: client.Configuration;
  let spaRp: client.Configuration;

  async function register(type: "confidential" | "public", redirectUri: string): Promise<Registered> {
    const created = await t.services.clients.createClient(
      {
        name: `${type} app`,
        type,
        grantTypes: ["authorization_code", "refresh_token"],
        scopes: ["openid", "email", "offline_access"],
        redirectUris: [redirectUri],
      },
      null,
    );
    if (!created.ok) throw new Error(JSON.stringify(created));
    return { client: created.client, clientSecret: created.clientSecret };
  }

  beforeAll(async () => {
    t = await createTestApp();
    web = await register("confidential", CALLBACK);
    spa = await register("public", SPA_CALLBACK);
    webRp = await discover(t, web);
    spaRp = await discover(t, spa);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A signed-in browser (the Portcullis session exists before the app asks). */
  async function signedInBrowser() {
    const email = uniqueEmail("refusals");
    await t.signUp(email);
    const browser = createBrowser(t, []);
    const login = await browser.follow(`${PUBLIC_URL}/login`);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(login.body)?.[1] ?? "";
    const posted = await browser.request("POST", `${PUBLIC_URL}/login`, {
      _csrf: csrf,
      email,
      password: "violet-Umbrella-73-quarry",
    });
    expect(posted.status).toBe(303);
    return { browser, email };
  }

  it("answers an unregistered redirect URI with an error page, and redirects nowhere", async () => {
    const { browser } = await signedInBrowser();
    const request = await authorizationRequest(webRp, "https://evil.example.com/callback", "openid");
    const page = await browser.request("GET", request.url.href);
    expect(page.status).toBe(400);
    expect(page.location).toBeUndefined();
    expect(page.body).toContain('role="alert"');
    expect(page.body).not.toContain("evil.example.com");
  });

  it("refuses plain PKCE", async () => {
    const { browser } = await signedInBrowser();
    const url = client.buildAuthorizationUrl(webRp, {
      redirect_uri: CALLBACK,
      scope: "openid",
      state: "s1",
      code_challenge: "a".repeat(43),
      code_challenge_method: "plain",
    });
    const landed = await browser.follow(url.href, (target) => target.href.startsWith(CALLBACK));
    const callback = new URL(landed.location ?? landed.url);
    expect(callback.searchParams.get("error")).toBe("invalid_request");
    expect(callback.searchParams.get("code")).toBeNull();
  });

  it("refuses a public client that sends no PKCE", async () => {
    const { browser } = await signedInBrowser();
    const url = client.buildAuthorizationUrl(spaRp, {
      redirect_uri: SPA_CALLBACK,
      scope: "openid",
      state: "s2",
    });
    const landed = await browser.follow(url.href, (target) => target.href.startsWith(SPA_CALLBACK));
    const callback = new URL(landed.location ?? landed.url);
    expect(callback.searchParams.get("error")).toBe("invalid_request");
    expect(callback.searchParams.get("code")).toBeNull();
  });

  it("signs a public client in with PKCE and no secret", async () => {
    const { browser, email } = await signedInBrowser();
    const request = await authorizationRequest(spaRp, SPA_CALLBACK, "openid email");
    const flow = await authorizeInBrowser(browser, request, SPA_CALLBACK, { email });
    const tokens = await client.authorizationCodeGrant(spaRp, flow.callback, {
      pkceCodeVerifier: request.codeVerifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    expect(tokens.claims()?.aud).toBe(spa.client.id);
    // A wrong verifier: the code is refused.
    const again = await authorizationRequest(spaRp, SPA_CALLBACK, "openid email");
    const second = await authorizeInBrowser(browser, again, SPA_CALLBACK, { email });
    await expect(
      client.authorizationCodeGrant(spaRp, second.callback, {
        pkceCodeVerifier: client.randomPKCECodeVerifier(),
        expectedState: again.state,
        expectedNonce: again.nonce,
      }),
    ).rejects.toMatchObject({ error: "invalid_grant" });
  });

  it("returns state untouched", async () => {
    const { browser, email } = await signedInBrowser();
    const state = "a b&c=d/é%20";
    const request = await authorizationRequest(webRp, CALLBACK, "openid", { state });
    const flow = await authorizeInBrowser(browser, request, CALLBACK, { email });
    expect(flow.callback.searchParams.get("state")).toBe(state);
  });

  it("refuses a code used twice, and revokes what it gave the first time", async () => {
    const { browser, email } = await signedInBrowser();
    const request = await authorizationRequest(webRp, CALLBACK, "openid email offline_access", {
      prompt: "consent",
    });
    const flow = await authorizeInBrowser(browser, request, CALLBACK, { email });
    const checks = {
      pkceCodeVerifier: request.codeVerifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    };
    const first = await client.authorizationCodeGrant(webRp, flow.callback, checks);
    await expect(client.authorizationCodeGrant(webRp, flow.callback, checks)).rejects.toMatchObject({
      error: "invalid_grant",
    });
    await expect
      .poll(async () => (await t.get("/oauth2/userinfo", bearer(first.access_token))).statusCode)
      .toBe(401);
    await expect(client.refreshTokenGrant(webRp, String(first.refresh_token))).rejects.toMatchObject({
      error: "invalid_grant",
    });
  });

  it("does not let one client use another client's refresh token", async () => {
    const { browser, email } = await signedInBrowser();
    const request = await authorizationRequest(spaRp, SPA_CALLBACK, "openid offline_access", {
      prompt: "consent",
    });
    const flow = await authorizeInBrowser(browser, request, SPA_CALLBACK, { email });
    const tokens = await client.authorizationCodeGrant(spaRp, flow.callback, {
      pkceCodeVerifier: request.codeVerifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    expect(tokens.refresh_token).toEqual(expect.any(String));
    await expect(client.refreshTokenGrant(webRp, String(tokens.refresh_token))).rejects.toMatchObject({
      error: "invalid_grant",
    });
    // The owner still can: the stranger's attempt did not count as reuse.
    expect((await client.refreshTokenGrant(spaRp, String(tokens.refresh_token))).access_token).toEqual(
      expect.any(String),
    );
  });

  it("refuses a response mode it does not offer", async () => {
    const { browser } = await signedInBrowser();
    const request = await authorizationRequest(webRp, CALLBACK, "openid", { response_mode: "web_message" });
    const page = await browser.request("GET", request.url.href);
    const target = page.location === undefined ? undefined : new URL(page.location);
    expect(target?.searchParams.get("code") ?? null).toBeNull();
    expect(page.status).toBe(303);
    expect(target?.href.startsWith(CALLBACK)).toBe(true);
    expect(target?.searchParams.get("error")).toBe("unsupported_response_mode");
  });

  it("lets one of several concurrent refreshes with the same token through, and treats the rest as reuse", async () => {
    const { browser, email } = await signedInBrowser();
    const request = await authorizationRequest(webRp, CALLBACK, "openid offline_access", {
      prompt: "consent",
    });
    const flow = await authorizeInBrowser(browser, request, CALLBACK, { email });
    const tokens = await client.authorizationCodeGrant(webRp, flow.callback, {
      pkceCodeVerifier: request.codeVerifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => client.refreshTokenGrant(webRp, String(tokens.refresh_token))),
    );
    const winners = results.filter((result) => result.status === "fulfilled");
    expect(winners.length).toBeLessThanOrEqual(1);
    // The reuse revoked the grant: whatever the winner got is dead too.
    for (const winner of winners) {
      await expect(client.refreshTokenGrant(webRp, String(winner.value.refresh_token))).rejects.toMatchObject(
        {
          error: "invalid_grant",
        },
      );
    }
  });

  it("refuses a code past its lifetime", async () => {
    const { browser, email } = await signedInBrowser();
    const request = await authorizationRequest(webRp, CALLBACK, "openid");
    const flow = await authorizeInBrowser(browser, request, CALLBACK, { email });
    // As if its 60 seconds had passed: the stored code is past its expiry.
    await t.database.db
      .updateTable("oidc_models")
      .set({ expires_at: Date.now() - 1 })
      .where("model", "=", "AuthorizationCode")
      .execute();
    await expect(
      client.authorizationCodeGrant(webRp, flow.callback, {
        pkceCodeVerifier: request.codeVerifier,
        expectedState: request.state,
        expectedNonce: request.nonce,
      }),
    ).rejects.toMatchObject({ error: "invalid_grant" });
  });
});
