/**
 * "Sign in with Portcullis" in Chromium: an app (a relying party on loopback, driven by
 * `openid-client`) sends the browser to the authorization endpoint; the person signs in on
 * `/login`, sees the consent page (the app's name, the scopes in words, "Allow" and "Deny") and
 * comes back to the app with a code. The pages' strict CSP must let those forms' redirects reach
 * the app (browsers apply `form-action` along the redirect chain) — including straight from
 * `/login` when consent is remembered.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as client from "openid-client";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueEmail } from "../support/test-app.js";
import {
  addVirtualAuthenticator,
  browserSuitesEnabled,
  expectAccessible,
  STRONG_PASSWORD,
  saveScreenshot,
  signInThroughForm,
  usePagesFixture,
} from "./support/pages-fixture.js";
import { registerPasskeyInPage, signOut, withoutPasskeyAutofill } from "./support/sign-in-actions.js";

describe.runIf(browserSuitesEnabled)("OpenID provider › signing in to an app in Chromium", () => {
  const pages = usePagesFixture();
  let app: Server;
  let callback = "";
  let rp: client.Configuration;
  const violations: string[] = [];

  beforeAll(async () => {
    app = createServer((_request, response) => {
      response
        .writeHead(200, { "content-type": "text/html" })
        .end("<!doctype html><title>Team Wiki</title><h1>Back in the app</h1>");
    });
    await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
    callback = `http://127.0.0.1:${(app.address() as AddressInfo).port}/callback`;
    const created = await pages.t.services.clients.createClient(
      {
        name: "Team Wiki",
        type: "confidential",
        grantTypes: ["authorization_code"],
        scopes: ["openid", "email", "profile"],
        redirectUris: [callback],
      },
      null,
    );
    if (!created.ok) throw new Error(JSON.stringify(created));
    rp = await client.discovery(
      new URL(pages.baseUrl),
      created.client.id,
      undefined,
      client.ClientSecretBasic(created.clientSecret ?? ""),
      { execute: [client.allowInsecureRequests] },
    );
  });
  afterAll(async () => {
    await new Promise((resolve) => app?.close(resolve));
  });

  async function startAt(page: Page, extra: Record<string, string> = {}) {
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(rp, {
      redirect_uri: callback,
      scope: "openid email profile",
      state,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      ...extra,
    });
    await page.goto(url.href);
    return { verifier, state };
  }

  async function signIn(page: Page, email: string) {
    await page.waitForURL(/\/login\?redirectTo=/);
    await page.getByRole("textbox", { name: "Email" }).fill(email);
    await page.getByLabel("Password", { exact: true }).fill(STRONG_PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
  }

  it("signs in, asks for consent in words, and returns to the app with a code it can redeem", async () => {
    const email = uniqueEmail("rp");
    await pages.t.signUp(email);
    const { page } = await pages.open();
    const { verifier, state } = await startAt(page);
    await signIn(page, email);

    await page.waitForURL(/\/interaction\//);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe(
      "Team Wiki wants to access your account",
    );
    await expect(page.getByText("See your email address").count()).resolves.toBe(1);
    await expect(page.getByText("See your name").count()).resolves.toBe(1);
    await expectAccessible(page);
    await saveScreenshot(page, "consent");

    await page.getByRole("button", { name: "Allow" }).click();
    await page.waitForURL((url) => url.href.startsWith(callback));
    const tokens = await client.authorizationCodeGrant(rp, new URL(page.url()), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    // The ID token carries the claims its scopes release, as userinfo does.
    expect(tokens.claims()?.email).toBe(email);
    expect((await client.fetchUserInfo(rp, tokens.access_token, String(tokens.claims()?.sub))).email).toBe(
      email,
    );
    expect(violations).toEqual([]);
  });

  it("shows the consent, fresh sign-in and expired pages accessible and tidy in light and dark, wide and narrow", {
    timeout: 180_000,
  }, async () => {
    const email = uniqueEmail("rp-looks");
    await pages.t.signUp(email);
    for (const colorScheme of ["light", "dark"] as const) {
      for (const width of [1280, 375]) {
        const { context, page } = await pages.open({ colorScheme, width });
        await startAt(page);
        await signIn(page, email);
        await page.waitForURL(/\/interaction\//);
        await expect(page.getByRole("button", { name: "Allow" }).count()).resolves.toBe(1);
        await expect(page.getByRole("button", { name: "Deny" }).count()).resolves.toBe(1);
        await expectAccessible(page);
        await saveScreenshot(page, `consent-${colorScheme}-${width}`);

        // Signed in now: an app asking for a fresh sign-in (prompt=login) gets the password asked in place.
        await startAt(page, { prompt: "login" });
        await page.waitForURL(/\/interaction\//);
        await expect(page.getByLabel("Password", { exact: true }).count()).resolves.toBe(1);
        await expect(page.getByRole("button", { name: "Continue" }).count()).resolves.toBe(1);
        await expectAccessible(page);
        await saveScreenshot(page, `interaction-reauthenticate-${colorScheme}-${width}`);

        // An interaction this browser does not have (expired, or another's): said in words.
        const expired = await page.goto("/interaction/no-such-interaction");
        expect(expired?.status()).toBe(400);
        await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe(
          "This sign-in request has expired",
        );
        await expectAccessible(page);
        await saveScreenshot(page, `interaction-expired-${colorScheme}-${width}`);
        await context.close();
      }
    }
    expect(violations).toEqual([]);
  });

  it("goes straight from /login back to the app when consent is remembered", async () => {
    const email = uniqueEmail("rp-again");
    await pages.t.signUp(email);
    const first = await pages.open();
    await startAt(first.page);
    await signIn(first.page, email);
    await first.page.getByRole("button", { name: "Allow" }).click();
    await first.page.waitForURL((url) => url.href.startsWith(callback));

    // A new browser: signed out, so /login again, then no consent page.
    const { page } = await pages.open();
    await startAt(page);
    await signIn(page, email);
    await page.waitForURL((url) => url.href.startsWith(callback));
    expect(new URL(page.url()).searchParams.get("code")).toEqual(expect.any(String));
    expect(violations).toEqual([]);
  });

  it("returns access_denied to the app when the person denies", async () => {
    const email = uniqueEmail("rp-deny");
    await pages.t.signUp(email);
    const { page } = await pages.open();
    const { state } = await startAt(page);
    await signIn(page, email);
    await page.getByRole("button", { name: "Deny" }).click();
    await page.waitForURL((url) => url.href.startsWith(callback));
    const landed = new URL(page.url());
    expect(landed.searchParams.get("error")).toBe("access_denied");
    expect(landed.searchParams.get("state")).toBe(state);
    expect(violations).toEqual([]);
  });

  it("signs in with a passkey on the way to the app, and the ID token says so", async () => {
    const email = uniqueEmail("rp-passkey");
    await pages.t.signUp(email);
    const { page } = await pages.open();
    await withoutPasskeyAutofill(page);
    await addVirtualAuthenticator(page);
    await signInThroughForm(page, email);
    await registerPasskeyInPage(page);
    await signOut(page);

    const { verifier, state } = await startAt(page);
    await page.waitForURL(/\/login\?redirectTo=/);
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await page.waitForURL(/\/interaction\//);
    await page.getByRole("button", { name: "Allow" }).click();
    await page.waitForURL((url) => url.href.startsWith(callback));
    const tokens = await client.authorizationCodeGrant(rp, new URL(page.url()), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    expect(tokens.claims()?.amr).toContain("hwk");
    expect(tokens.claims()?.amr).not.toContain("pwd");
    expect(violations).toEqual([]);
  });
});
