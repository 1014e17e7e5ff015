/**
 * An app's sign-in of a person with a second factor: `/login` (password), then `/login/mfa` (a
 * TOTP code), then consent, then back to the app — with `amr` saying both were proven, in the ID
 * token and in the access token. A wrong code keeps the person at `/login/mfa`.
 */
import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OAuthClient } from "../../src/domain/oauth-clients/oauth-client.js";
import { createBrowser } from "../support/browser.js";
import { currentCode, enrolTotp, nextStep } from "../support/mfa.js";
import { authorizationRequest, discover, submitForm } from "../support/openid-relying-party.js";
import {
  bearer,
  createManualClock,
  createTestApp,
  STRONG_PASSWORD,
  type TestApp,
  uniqueEmail,
} from "../support/test-app.js";

const CALLBACK = "https://app.example.com/callback";
const leaves = (url: URL) => url.href.startsWith(CALLBACK);

describe("OpenID provider › a person with a second factor", () => {
  const clock = createManualClock();
  let t: TestApp;
  let rp: client.Configuration;

  beforeAll(async () => {
    t = await createTestApp({ clock });
    const created = await t.services.clients.createClient(
      {
        name: "Team Wiki",
        type: "confidential",
        grantTypes: ["authorization_code"],
        scopes: ["openid", "email"],
        redirectUris: [CALLBACK],
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

  it("asks for the code after the password, then consent, and the tokens say both were proven", async () => {
    const email = uniqueEmail("oidc-mfa");
    const signedUp = await t.signUp(email);
    const { secret } = await enrolTotp(t, bearer(signedUp.accessToken));
    nextStep(clock);

    const browser = createBrowser(t, []);
    const request = await authorizationRequest(rp, CALLBACK, "openid email");
    const login = await browser.follow(request.url.href, leaves);
    expect(new URL(login.url).pathname).toBe("/login");
    const mfa = await submitForm(browser, login, "/login", { email, password: STRONG_PASSWORD }, leaves);
    expect(new URL(mfa.url).pathname).toBe("/login/mfa");

    const wrong = await submitForm(browser, mfa, "/login/mfa", { code: "000000" }, leaves);
    expect(wrong.body).toContain('role="alert"');
    expect(wrong.location ?? wrong.url).not.toMatch(/^https:\/\/app\.example\.com/);

    const consent = await submitForm(browser, wrong, "/login/mfa", { code: currentCode(t, secret) }, leaves);
    expect(new URL(consent.url).pathname).toMatch(/^\/interaction\//);
    const back = await submitForm(browser, consent, "/consent", {}, leaves, (html) =>
      html.includes('value="allow"'),
    );
    const callback = new URL(back.status === 0 ? back.url : (back.location ?? back.url));
    const tokens = await client.authorizationCodeGrant(rp, callback, {
      pkceCodeVerifier: request.codeVerifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    expect(tokens.claims()?.amr).toEqual(expect.arrayContaining(["pwd", "otp", "mfa"]));
    const accessClaims = JSON.parse(
      Buffer.from(tokens.access_token.split(".")[1] ?? "", "base64url").toString("utf8"),
    );
    expect(accessClaims.amr).toEqual(expect.arrayContaining(["pwd", "otp", "mfa"]));
  });
});
