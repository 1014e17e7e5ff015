/**
 * `prompt=login` (OpenID Connect Core §3.1.2.1): an app that asks for a fresh sign-in gets one,
 * even from a person signed in to Portcullis — the password (or a second-factor code) is asked in
 * place, a wrong one is refused, and the ID token's `auth_time` is the new sign-in. Without it, a
 * signed-in person goes straight through (single sign-on).
 */
import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OAuthClient } from "../../src/domain/oauth-clients/oauth-client.js";
import { createBrowser } from "../support/browser.js";
import { authorizationRequest, discover, submitForm } from "../support/openid-relying-party.js";
import {
  createManualClock,
  createTestApp,
  PUBLIC_URL,
  STRONG_PASSWORD,
  type TestApp,
  uniqueEmail,
} from "../support/test-app.js";

const CALLBACK = "https://app.example.com/callback";
const leaves = (url: URL) => url.href.startsWith(CALLBACK);
/** Where the browser was sent back to the app (a redirect the test browser does not follow). */
const arrival = (page: { url: string; status: number; location: string | undefined }) =>
  new URL(page.status === 0 ? page.url : (page.location ?? page.url));

describe("OpenID provider › prompt=login", () => {
  // Portcullis's clock runs behind the provider's, so the sign-in is older than the request.
  const clock = createManualClock(Date.now() - 5_000);
  let t: TestApp;
  let rp: client.Configuration;

  beforeAll(async () => {
    t = await createTestApp({ clock });
    const created = await t.services.clients.createClient(
      {
        name: "Payroll",
        type: "confidential",
        grantTypes: ["authorization_code"],
        scopes: ["openid"],
        redirectUris: [CALLBACK],
        firstParty: true,
      },
      null,
    );
    if (!created.ok) throw new Error(JSON.stringify(created));
    const registered: { client: OAuthClient; clientSecret: string | null } = created;
    rp = await discover(t, registered);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function signedInBrowser() {
    const email = uniqueEmail("prompt");
    await t.signUp(email);
    const browser = createBrowser(t, []);
    const login = await browser.follow(`${PUBLIC_URL}/login`);
    const signedIn = await submitForm(browser, login, "/login", { email, password: STRONG_PASSWORD }, leaves);
    expect(signedIn.url).toMatch(/\/account/);
    return browser;
  }

  it("goes straight through for a signed-in person without it", async () => {
    const browser = await signedInBrowser();
    const request = await authorizationRequest(rp, CALLBACK, "openid");
    const landed = await browser.follow(request.url.href, leaves);
    expect(arrival(landed).searchParams.get("code")).toEqual(expect.any(String));
  });

  it("asks for the password again, refuses a wrong one, and reports the new sign-in time", async () => {
    const browser = await signedInBrowser();
    const request = await authorizationRequest(rp, CALLBACK, "openid", { prompt: "login" });
    const asked = await browser.follow(request.url.href, leaves);
    expect(asked.status).toBe(200);
    expect(asked.body).toContain("Confirm it is you");
    expect(asked.body).toContain("Payroll asks you to sign in again");

    const wrong = await submitForm(
      browser,
      asked,
      "/reauthenticate",
      { password: "not-the-password-1" },
      leaves,
    );
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('role="alert"');

    clock.advance(5_000);
    const before = Math.floor(clock.now() / 1000);
    const landed = await submitForm(browser, wrong, "/reauthenticate", { password: STRONG_PASSWORD }, leaves);
    const tokens = await client.authorizationCodeGrant(rp, arrival(landed), {
      pkceCodeVerifier: request.codeVerifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    expect(Number(tokens.claims()?.auth_time)).toBeGreaterThanOrEqual(before);
  });
});
