/**
 * Consent is remembered per client and scope set, and revocable: "Connected apps" on the account
 * page lists the apps a person allowed, and "Remove access" (theirs, or an administrator's on the
 * user's console page) forgets the consent and revokes what the app holds at once; the app must
 * ask again. Both are audited as `consent.revoked`, with who did it.
 */
import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OAuthClient } from "../../src/domain/oauth-clients/oauth-client.js";
import { createAdmin } from "../support/accounts.js";
import { createBrowser } from "../support/browser.js";
import {
  authorizationRequest,
  authorizeInBrowser,
  discover,
  submitForm,
} from "../support/openid-relying-party.js";
import { bearer, createTestApp, PUBLIC_URL, type TestApp, uniqueEmail } from "../support/test-app.js";

const CALLBACK = "https://wiki.example.com/callback";
const staysHere = () => false;

describe("OpenID provider › connected apps", () => {
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

  async function connect() {
    const email = uniqueEmail("apps");
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
    return { email, browser, tokens, userId: String(tokens.claims()?.sub) };
  }

  async function expectAccessGone(tokens: client.TokenEndpointResponse) {
    await expect
      .poll(async () => (await t.get("/oauth2/userinfo", bearer(tokens.access_token))).statusCode)
      .toBe(401);
    await expect(client.refreshTokenGrant(rp, String(tokens.refresh_token))).rejects.toMatchObject({
      error: "invalid_grant",
    });
  }

  it("lists the app on the account page, and removing its access revokes its tokens and its consent", async () => {
    const { email, browser, tokens, userId } = await connect();
    const account = await browser.follow(`${PUBLIC_URL}/account`);
    expect(account.body).toContain("Connected apps");
    expect(account.body).toContain("Team Wiki");
    expect(account.body).toContain("See your email address");

    const removed = await submitForm(
      browser,
      account,
      `/account/apps/${registered.client.id}/remove`,
      {},
      staysHere,
    );
    expect(removed.url).toBe(`${PUBLIC_URL}/account?done=app-disconnected#connected-apps`);
    expect(removed.body).toContain("access is removed.");
    expect(removed.body).not.toContain(`/account/apps/${registered.client.id}/remove`);
    await expectAccessGone(tokens);

    // The app must ask again.
    const again = await authorizationRequest(rp, CALLBACK, "openid email");
    const flow = await authorizeInBrowser(browser, again, CALLBACK, { email });
    expect(flow.sawConsent).toBe(true);

    const events = await t.services.auditLog.listEvents({ userId, type: "consent.revoked", limit: 5 });
    expect(events.ok && events.events[0]).toMatchObject({
      actorId: userId,
      details: { clientId: registered.client.id },
    });
  });

  it("lets an administrator remove an app's access to a user's account", async () => {
    const { tokens, userId } = await connect();
    const admin = await createAdmin(t);
    const adminBrowser = createBrowser(t, []);
    const login = await adminBrowser.follow(`${PUBLIC_URL}/login`);
    const signedIn = await submitForm(
      adminBrowser,
      login,
      "/login",
      { email: admin.user.email, password: "violet-Umbrella-73-quarry" },
      staysHere,
    );
    expect(signedIn.status).toBe(200);
    const userPage = await adminBrowser.follow(`${PUBLIC_URL}/admin/users/${userId}`);
    expect(userPage.body).toContain("Team Wiki");
    const removed = await submitForm(
      adminBrowser,
      userPage,
      `/admin/users/${userId}/apps/${registered.client.id}/remove`,
      {},
      staysHere,
    );
    expect(removed.body).toContain("No apps have access to this account.");
    await expectAccessGone(tokens);
    const events = await t.services.auditLog.listEvents({ userId, type: "consent.revoked", limit: 5 });
    expect(events.ok && events.events[0]).toMatchObject({ actorId: admin.user.id });
  });
});
