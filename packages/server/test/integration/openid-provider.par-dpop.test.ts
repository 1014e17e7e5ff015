/**
 * Pushed authorization requests (RFC 9126) and DPoP (RFC 9449) at the OpenID provider, driven by
 * a standard relying party (`openid-client`). Invariants: a pushed request is made by an
 * authenticated client, and the browser then carries only `client_id` and `request_uri`, which
 * works once and for that client alone; a DPoP proof at the token endpoint binds the access token
 * to the proof's key (`token_type: DPoP`, `cnf.jkt` the key's RFC 7638 thumbprint), and a public
 * client's refresh token to that key too, so another key (or none) cannot use it. A confidential
 * client's refresh token is bound by its client authentication instead (RFC 9449 §5). Userinfo
 * takes a bound token only as `DPoP <token>` with a fresh proof of that key: never as a bearer
 * token, without a proof, with another key's proof or with a proof used before.
 */
import { calculateJwkThumbprint, decodeJwt, exportJWK } from "jose";
import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OAuthClient } from "../../src/domain/oauth-clients/oauth-client.js";
import { type Browser, createBrowser, type Page } from "../support/browser.js";
import { authorizationRequest, authorizeInBrowser, discover } from "../support/openid-relying-party.js";
import { createTestApp, PUBLIC_URL, type TestApp, uniqueEmail } from "../support/test-app.js";

const APP = "https://app.example.com";
const CALLBACK = `${APP}/callback`;
const OTHER_CALLBACK = "https://other.example.com/callback";
const SPA_CALLBACK = "https://spa.example.com/callback";

type Registered = { client: OAuthClient; clientSecret: string | null };

let t: TestApp;
let web: Registered;
let webRp: client.Configuration;
let otherRp: client.Configuration;
let spaRp: client.Configuration;

async function register(type: "confidential" | "public", redirectUri: string): Promise<Registered> {
  const created = await t.services.clients.createClient(
    {
      name: `${type} app at ${new URL(redirectUri).host}`,
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
  webRp = await discover(t, web);
  otherRp = await discover(t, await register("confidential", OTHER_CALLBACK));
  spaRp = await discover(t, await register("public", SPA_CALLBACK));
});
afterAll(async () => {
  await t?.close();
});

async function personWithBrowser(): Promise<{ email: string; browser: Browser }> {
  const email = uniqueEmail("par-dpop");
  await t.signUp(email);
  return { email, browser: createBrowser(t, []) };
}

/** The provider's refusal page: a 400 in words, and no way back to the app (so no code). */
function expectRefusalPage(page: Page, error: string) {
  expect(page.status).toBe(400);
  expect(page.location).toBeUndefined();
  expect(page.body).toContain('role="alert"');
  expect(page.body).toContain(error);
}

describe("OpenID provider › pushed authorization requests (RFC 9126)", () => {
  async function pushedRequest(rp: client.Configuration, redirectUri: string) {
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = await client.buildAuthorizationUrlWithPAR(rp, {
      redirect_uri: redirectUri,
      scope: "openid email",
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: "S256",
    });
    return { url, checks: { pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce } };
  }

  it("completes the code flow with an authorize URL that carries only client_id and request_uri", async () => {
    const { email, browser } = await personWithBrowser();
    const { url, checks } = await pushedRequest(webRp, CALLBACK);
    expect(`${url.origin}${url.pathname}`).toBe(`${PUBLIC_URL}/oauth2/authorize`);
    expect([...url.searchParams.keys()].sort()).toEqual(["client_id", "request_uri"]);
    expect(url.searchParams.get("client_id")).toBe(web.client.id);
    expect(url.searchParams.get("request_uri")).toMatch(/^urn:ietf:params:oauth:request_uri:/);

    const flow = await authorizeInBrowser(browser, url, CALLBACK, { email });
    expect(flow.sawLogin).toBe(true);
    expect(flow.callback.searchParams.get("state")).toBe(checks.expectedState);
    // The pushed parameters were the ones used: PKCE, state and nonce all check out.
    const tokens = await client.authorizationCodeGrant(webRp, flow.callback, checks);
    expect(tokens.claims()).toMatchObject({ aud: web.client.id, nonce: checks.expectedNonce });
  });

  it("refuses a request_uri used a second time", async () => {
    const { email, browser } = await personWithBrowser();
    const { url } = await pushedRequest(webRp, CALLBACK);
    const first = await authorizeInBrowser(browser, url, CALLBACK, { email });
    expect(first.callback.searchParams.get("code")).toEqual(expect.any(String));

    // Same browser, still signed in and consented: only the spent request_uri stands in the way.
    expectRefusalPage(await browser.request("GET", url.href), "invalid_request_uri");
  });

  it("refuses a request_uri pushed by another client", async () => {
    const { email, browser } = await personWithBrowser();
    // Signed in and consented for the web app, so a working request_uri would go straight to a code.
    await authorizeInBrowser(browser, await authorizationRequest(webRp, CALLBACK, "openid email"), CALLBACK, {
      email,
    });
    const { url } = await pushedRequest(otherRp, OTHER_CALLBACK);
    const borrowed = new URL(url);
    borrowed.searchParams.set("client_id", web.client.id);
    expectRefusalPage(await browser.request("GET", borrowed.href), "invalid_request_object");
  });

  it("takes a pushed request only from an authenticated client", async () => {
    const impostor = await discover(t, { client: web.client, clientSecret: "not-the-secret-0123456789" });
    const refused = await pushedRequest(impostor, CALLBACK).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(client.WWWAuthenticateChallengeError);
    expect(refused).toMatchObject({
      status: 401,
      cause: [{ scheme: "basic", parameters: { error: "invalid_client" } }],
    });
  });
});

describe("OpenID provider › DPoP (RFC 9449)", () => {
  /** Token endpoint answers as sent (openid-client lower-cases `token_type`). */
  function recordTokenResponses(rp: client.Configuration): Record<string, unknown>[] {
    const seen: Record<string, unknown>[] = [];
    const inner = rp[client.customFetch];
    if (inner === undefined) throw new Error("the relying party has no customFetch");
    rp[client.customFetch] = async (url, options) => {
      const response = await inner(url, options);
      if (new URL(url).pathname === "/oauth2/token")
        seen.push((await response.clone().json()) as Record<string, unknown>);
      return response;
    };
    return seen;
  }

  async function thumbprint(keyPair: client.CryptoKeyPair) {
    return calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
  }

  /** A code flow whose code is exchanged with a DPoP proof of `keyPair`. */
  async function dpopCodeFlow(rp: client.Configuration, redirectUri: string, keyPair: client.CryptoKeyPair) {
    const { email, browser } = await personWithBrowser();
    const request = await authorizationRequest(rp, redirectUri, "openid email offline_access", {
      prompt: "consent",
    });
    const flow = await authorizeInBrowser(browser, request, redirectUri, { email });
    return client.authorizationCodeGrant(
      rp,
      flow.callback,
      { pkceCodeVerifier: request.codeVerifier, expectedState: request.state, expectedNonce: request.nonce },
      undefined,
      { DPoP: client.getDPoPHandle(rp, keyPair) },
    );
  }

  it("answers the code exchange with token_type DPoP and an access token whose cnf.jkt is the key's thumbprint", async () => {
    const rp = await discover(t, web);
    const answers = recordTokenResponses(rp);
    const keyPair = await client.randomDPoPKeyPair("ES256");
    const tokens = await dpopCodeFlow(rp, CALLBACK, keyPair);
    expect(answers.at(-1)?.token_type).toBe("DPoP");
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt: await thumbprint(keyPair) });

    // Without a proof, the same exchange gives a plain bearer token with no binding.
    const { email, browser } = await personWithBrowser();
    const request = await authorizationRequest(rp, CALLBACK, "openid email");
    const flow = await authorizeInBrowser(browser, request, CALLBACK, { email });
    const bearer = await client.authorizationCodeGrant(rp, flow.callback, {
      pkceCodeVerifier: request.codeVerifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    expect(answers.at(-1)?.token_type).toBe("Bearer");
    expect(decodeJwt(bearer.access_token).cnf).toBeUndefined();
  });

  it("refuses to refresh a public client's DPoP-bound refresh token with another key, or with none", async () => {
    const keyPair = await client.randomDPoPKeyPair("ES256");
    const tokens = await dpopCodeFlow(spaRp, SPA_CALLBACK, keyPair);
    const refreshToken = String(tokens.refresh_token);

    const otherKey = client.getDPoPHandle(spaRp, await client.randomDPoPKeyPair("ES256"));
    await expect(
      client.refreshTokenGrant(spaRp, refreshToken, undefined, { DPoP: otherKey }),
    ).rejects.toMatchObject({
      error: "invalid_grant",
    });
    await expect(client.refreshTokenGrant(spaRp, refreshToken)).rejects.toMatchObject({
      error: "invalid_grant",
    });

    // The refusals spent nothing: the key it is bound to still refreshes, and stays bound.
    const refreshed = await client.refreshTokenGrant(spaRp, refreshToken, undefined, {
      DPoP: client.getDPoPHandle(spaRp, keyPair),
    });
    expect(decodeJwt(refreshed.access_token).cnf).toEqual({ jkt: await thumbprint(keyPair) });
  });

  it("binds a confidential client's refreshed access token to the key of the refresh's proof (RFC 9449 §5)", async () => {
    const first = await client.randomDPoPKeyPair("ES256");
    const tokens = await dpopCodeFlow(webRp, CALLBACK, first);
    const second = await client.randomDPoPKeyPair("ES256");
    const refreshed = await client.refreshTokenGrant(webRp, String(tokens.refresh_token), undefined, {
      DPoP: client.getDPoPHandle(webRp, second),
    });
    expect(decodeJwt(refreshed.access_token).cnf).toEqual({ jkt: await thumbprint(second) });
  });

  it("serves userinfo for a DPoP-bound access token only with a fresh proof of its key", async () => {
    const rp = await discover(t, web);
    const keyPair = await client.randomDPoPKeyPair("ES256");
    const tokens = await dpopCodeFlow(rp, CALLBACK, keyPair);
    const sub = String(tokens.claims()?.sub);

    // Record what openid-client sends to userinfo, to replay it.
    const inner = rp[client.customFetch];
    if (inner === undefined) throw new Error("the relying party has no customFetch");
    const sent: Record<string, string>[] = [];
    rp[client.customFetch] = (url, options) => {
      if (new URL(url).pathname === "/oauth2/userinfo") sent.push({ ...options.headers });
      return inner(url, options);
    };
    const info = await client.fetchUserInfo(rp, tokens.access_token, sub, {
      DPoP: client.getDPoPHandle(rp, keyPair),
    });
    expect(info.sub).toBe(sub);
    const presented = sent.at(-1);
    expect(presented?.authorization).toBe(`DPoP ${tokens.access_token}`);
    expect(presented?.dpop).toEqual(expect.any(String));

    const userinfo = (headers: Record<string, string>) =>
      t.app.inject({
        method: "GET",
        url: "/oauth2/userinfo",
        headers: { host: new URL(PUBLIC_URL).host, ...headers },
      });
    // The same proof again: a replay.
    expect(
      (await userinfo({ authorization: `DPoP ${tokens.access_token}`, dpop: String(presented?.dpop) }))
        .statusCode,
    ).toBe(401);
    // The bound token as a bearer token, or as DPoP without a proof: whoever stole it lacks the key.
    expect((await userinfo({ authorization: `Bearer ${tokens.access_token}` })).statusCode).toBe(401);
    expect((await userinfo({ authorization: `DPoP ${tokens.access_token}` })).statusCode).toBe(401);
    // A proof signed by another key.
    await expect(
      client.fetchUserInfo(rp, tokens.access_token, sub, {
        DPoP: client.getDPoPHandle(rp, await client.randomDPoPKeyPair("ES256")),
      }),
    ).rejects.toMatchObject({ status: 401 });
  });
});
