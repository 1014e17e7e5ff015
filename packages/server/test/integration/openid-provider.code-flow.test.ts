/**
 * The OpenID provider (API.md "The OpenID provider") driven by a standard relying party,
 * `openid-client`, with the browser part going through Portcullis's own `/login` and consent
 * pages over HTTP. Invariants: the code flow needs PKCE S256 and a registered redirect URI; the
 * ID token is signed with the JWKS's key and names the client; access tokens are RFC 9068 JWTs
 * with `client_id`, `scope`, the audience and the grant as `sid`; refresh tokens rotate and a
 * reused one ends the grant (its access tokens too); consent is remembered; a client's token never
 * opens Portcullis's own API.
 */
import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OAuthClient } from "../../src/domain/oauth-clients/oauth-client.js";
import { createBrowser } from "../support/browser.js";
import { authorizationRequest, authorizeInBrowser, discover } from "../support/openid-relying-party.js";
import { bearer, createTestApp, PUBLIC_URL, type TestApp, uniqueEmail } from "../support/test-app.js";

const APP = "https://app.example.com";
const CALLBACK = `${APP}/callback`;

describe("OpenID provider › authorization code flow", () => {
  let t: TestApp;
  let registered: { client: OAuthClient; clientSecret: string | null };
  let rp: client.Configuration;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        PORTCULLIS_SCOPES: "reports:read reports:write",
        PORTCULLIS_ROLE_SCOPES: "user=events:read reports:read;admin=admin:read admin:write",
      },
    });
    const created = await t.services.clients.createClient(
      {
        name: "Team Wiki",
        type: "confidential",
        grantTypes: ["authorization_code", "refresh_token"],
        scopes: ["openid", "email", "profile", "offline_access", "reports:read", "reports:write"],
        redirectUris: [CALLBACK],
        postLogoutRedirectUris: [`${APP}/signed-out`],
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

  async function signInThroughClient(scope = "openid email offline_access reports:read reports:write") {
    const email = uniqueEmail("oidc");
    await t.signUp(email);
    const browser = createBrowser(t, []);
    // OpenID Connect Core §11: offline_access counts only with prompt=consent.
    const request = await authorizationRequest(
      rp,
      CALLBACK,
      scope,
      scope.includes("offline_access") ? { prompt: "consent" } : {},
    );
    const flow = await authorizeInBrowser(browser, request, CALLBACK, { email });
    const tokens = await client.authorizationCodeGrant(rp, flow.callback, {
      pkceCodeVerifier: request.codeVerifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    return { email, browser, request, flow, tokens };
  }

  it("publishes discovery with S256 only, the grants, the scopes and the one JWKS", async () => {
    const metadata = rp.serverMetadata();
    expect(metadata.issuer).toBe(PUBLIC_URL);
    expect(metadata.authorization_endpoint).toBe(`${PUBLIC_URL}/oauth2/authorize`);
    expect(metadata.token_endpoint).toBe(`${PUBLIC_URL}/oauth2/token`);
    expect(metadata.userinfo_endpoint).toBe(`${PUBLIC_URL}/oauth2/userinfo`);
    expect(metadata.jwks_uri).toBe(`${PUBLIC_URL}/.well-known/jwks.json`);
    expect(metadata.end_session_endpoint).toBe(`${PUBLIC_URL}/oauth2/logout`);
    expect(metadata.revocation_endpoint).toBe(`${PUBLIC_URL}/oauth2/revoke`);
    expect(metadata.introspection_endpoint).toBe(`${PUBLIC_URL}/oauth2/introspect`);
    expect(metadata.code_challenge_methods_supported).toEqual(["S256"]);
    expect(metadata.grant_types_supported).toEqual(
      expect.arrayContaining(["authorization_code", "refresh_token", "client_credentials"]),
    );
    expect(metadata.grant_types_supported).not.toContain("implicit");
    expect(metadata.grant_types_supported).not.toContain("password");
    expect(metadata.scopes_supported).toEqual(
      expect.arrayContaining([
        "openid",
        "profile",
        "email",
        "offline_access",
        "reports:read",
        "reports:write",
      ]),
    );
  });

  it("signs a person in through /login and consent, and gives the app an ID token, a JWT access token and a refresh token", async () => {
    const { email, flow, tokens, request } = await signInThroughClient();
    expect(flow.sawLogin).toBe(true);
    expect(flow.sawConsent).toBe(true);
    expect(flow.callback.searchParams.get("state")).toBe(request.state);

    const idClaims = tokens.claims();
    expect(idClaims?.iss).toBe(PUBLIC_URL);
    expect(idClaims?.aud).toBe(registered.client.id);
    expect(idClaims?.nonce).toBe(request.nonce);
    expect(typeof idClaims?.auth_time).toBe("number");

    const [header, payload] = tokens.access_token
      .split(".")
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>);
    expect(header).toMatchObject({ typ: "at+jwt", alg: "ES256" });
    expect(payload).toMatchObject({
      iss: PUBLIC_URL,
      aud: PUBLIC_URL,
      client_id: registered.client.id,
      sub: idClaims?.sub,
      roles: [],
    });
    // reports:write is registered for the client, but a plain user's roles do not grant it.
    expect(String(payload?.scope).split(" ").sort()).toEqual(
      ["email", "offline_access", "openid", "reports:read"].sort(),
    );
    expect(typeof payload?.sid).toBe("string");
    expect(tokens.refresh_token).toEqual(expect.any(String));

    const info = await client.fetchUserInfo(rp, tokens.access_token, String(idClaims?.sub));
    expect(info).toMatchObject({ sub: idClaims?.sub, email, email_verified: false });
    expect(info).not.toHaveProperty("name");
  });

  it("never lets a client's token into Portcullis's own API", async () => {
    const { tokens } = await signInThroughClient();
    const me = await t.get("/v1/me", bearer(tokens.access_token));
    expect(me.statusCode).toBe(401);
  });

  it("remembers consent: the second sign-in asks nothing", async () => {
    const { email, browser } = await signInThroughClient();
    const again = await authorizationRequest(rp, CALLBACK, "openid email reports:read");
    const flow = await authorizeInBrowser(browser, again, CALLBACK, { email });
    expect(flow.sawLogin).toBe(false);
    expect(flow.sawConsent).toBe(false);
    expect(flow.callback.searchParams.get("code")).toEqual(expect.any(String));
  });

  it("rotates refresh tokens, and a reused one revokes the grant and its access tokens", async () => {
    const { tokens } = await signInThroughClient();
    const refreshed = await client.refreshTokenGrant(rp, String(tokens.refresh_token));
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect((await client.fetchUserInfo(rp, refreshed.access_token, client.skipSubjectCheck)).sub).toEqual(
      expect.any(String),
    );

    await expect(client.refreshTokenGrant(rp, String(tokens.refresh_token))).rejects.toMatchObject({
      error: "invalid_grant",
    });
    // The grant is gone: the rotated token and the access tokens issued under it stop working.
    await expect(client.refreshTokenGrant(rp, String(refreshed.refresh_token))).rejects.toMatchObject({
      error: "invalid_grant",
    });
    await expect
      .poll(async () => (await t.get("/oauth2/userinfo", bearer(refreshed.access_token))).statusCode)
      .toBe(401);
  });

  it("redirects with access_denied when the person denies", async () => {
    const email = uniqueEmail("deny");
    await t.signUp(email);
    const request = await authorizationRequest(rp, CALLBACK, "openid email");
    const flow = await authorizeInBrowser(createBrowser(t, []), request, CALLBACK, { email }, "deny");
    expect(flow.callback.searchParams.get("error")).toBe("access_denied");
    expect(flow.callback.searchParams.get("state")).toBe(request.state);
    expect(flow.callback.searchParams.get("code")).toBeNull();
  });

  it("ends what a session granted when the person signs out of Portcullis", async () => {
    const { browser, tokens } = await signInThroughClient();
    const account = await browser.follow(`${PUBLIC_URL}/account`);
    expect(account.status).toBe(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(account.body)?.[1] ?? "";
    const out = await browser.request("POST", `${PUBLIC_URL}/logout`, { _csrf: csrf });
    expect(out.status).toBe(303);
    await expect
      .poll(async () => (await t.get("/oauth2/userinfo", bearer(tokens.access_token))).statusCode)
      .toBe(401);
    await expect(client.refreshTokenGrant(rp, String(tokens.refresh_token))).rejects.toMatchObject({
      error: "invalid_grant",
    });
  });
});
