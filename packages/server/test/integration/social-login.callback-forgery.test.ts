/**
 * The code flow's checks cannot be stripped, mismatched or replayed (security.md §2.5 items
 * 21–22; ASVS 10.1.2, 10.2.1, 10.2.2, 10.4.6, 10.5.1; RFC 9700 §4.4–4.7). Invariant: a callback
 * signs somebody in only when its `state` names a live, unspent flow that this very browser
 * started with this very provider, the provider redeems the code with that flow's PKCE verifier,
 * and the ID token carries that flow's nonce. Every failure ends on a redirect with `?error=` (or
 * a 400 problem when no flow is known), never a 5xx, and no session or code is handed out.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBrowser } from "../support/browser.js";
import { startOidcProvider, type TestOidcProvider } from "../support/oidc-provider.js";
import { expectProblem } from "../support/problem-assertions.js";
import { continueAtProvider, landing, runSocialLogin, startUrl } from "../support/social-login-flow.js";
import { createTestApp, PUBLIC_URL, type TestApp, uniqueEmail } from "../support/test-app.js";

const APP = "https://app.example.com";

describe("social login › forged, replayed and mismatched callbacks", () => {
  let idp: TestOidcProvider;
  let t: TestApp;
  const lines: string[] = [];

  beforeAll(async () => {
    idp = await startOidcProvider({
      redirectUris: [`${PUBLIC_URL}/v1/oauth/testidp/callback`, `${PUBLIC_URL}/v1/oauth/otheridp/callback`],
    });
    t = await createTestApp({
      env: {
        ...idp.portcullisEnv("testidp"),
        // The same issuer under a second id: enough to show a flow is finished only by its own provider.
        ...idp.portcullisEnv("otheridp"),
        PORTCULLIS_REDIRECT_ALLOWLIST: APP,
        PORTCULLIS_LOG_LEVEL: "warn",
      },
      logStream: { write: (line) => lines.push(line) },
    });
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  const browser = () => createBrowser(t, [idp.issuer]);
  const newUser = () => {
    const email = uniqueEmail("forgery");
    idp.setNextUser({ sub: `sub-${email}`, email, email_verified: true });
  };
  /** The flow up to the callback URL the provider sends the browser to. */
  const callbackOf = async (agent = browser(), options: Parameters<typeof runSocialLogin>[1] = {}) => {
    const stopped = await runSocialLogin(agent, {
      redirectTo: `${APP}/done`,
      ...options,
      stopBeforeCallback: true,
    });
    expect(stopped.status).toBe(0);
    return new URL(stopped.location ?? "");
  };
  const expectNoSignIn = (page: { location?: string | undefined }) => {
    const url = new URL(page.location ?? "");
    expect(url.searchParams.has("code")).toBe(false);
    return url;
  };
  const failureReason = (error: string) =>
    lines
      .map((line) => JSON.parse(line) as { msg?: string; error?: string; reason?: string })
      .filter((line) => line.msg === "social login failed" && line.error === error)
      .map((line) => line.reason ?? "");

  it("refuses a callback whose state was tampered with: 400 invalid_state, nowhere to redirect", async () => {
    newUser();
    const agent = browser();
    const callback = await callbackOf(agent);
    callback.searchParams.set("state", `${callback.searchParams.get("state")?.slice(0, -2)}xx`);
    const page = await agent.request("GET", callback.href);
    expect(page.status).toBe(400);
    expect(JSON.parse(page.body)).toMatchObject({ status: 400, code: "invalid_state" });
    expect(agent.cookies(PUBLIC_URL).has("pc_session")).toBe(false);
  });

  it("refuses a callback without state, and one with an unknown provider", async () => {
    expectProblem(await t.get("/v1/oauth/testidp/callback?code=abc"), 400, "invalid_state");
    expectProblem(await t.get("/v1/oauth/testidp/callback"), 400, "invalid_state");
    expectProblem(await t.get("/v1/oauth/nosuch/callback?state=x&code=y"), 404, "not_found");
  });

  it("signs nobody in when the callback is opened in another browser, and the real one still can finish", async () => {
    newUser();
    const victim = browser();
    const callback = await callbackOf(victim);

    const attacker = browser();
    const stolen = await attacker.request("GET", callback.href);
    expect(stolen.status).toBe(302);
    expect(expectNoSignIn(stolen).searchParams.get("error")).toBe("invalid_state");
    expect(failureReason("invalid_state").some((reason) => reason.includes("another browser"))).toBe(true);

    const own = landing(await victim.request("GET", callback.href));
    expect(own.searchParams.get("code")).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("treats a replayed callback URL as an unknown flow", async () => {
    newUser();
    const agent = browser();
    const callback = await callbackOf(agent);
    expect(landing(await agent.request("GET", callback.href)).searchParams.has("code")).toBe(true);
    const replay = await agent.request("GET", callback.href);
    expect(replay.status).toBe(400);
    expect(JSON.parse(replay.body)).toMatchObject({ code: "invalid_state" });
  });

  it("finishes a flow only at the provider that started it (mix-up)", async () => {
    newUser();
    const agent = browser();
    const callback = await callbackOf(agent);
    const elsewhere = new URL(callback.href.replace("/v1/oauth/testidp/", "/v1/oauth/otheridp/"));
    const page = await agent.request("GET", elsewhere.href);
    expect(expectNoSignIn(page).searchParams.get("error")).toBe("invalid_state");
  });

  it("refuses an ID token whose nonce is not the flow's", async () => {
    newUser();
    const page = await runSocialLogin(browser(), {
      redirectTo: `${APP}/done`,
      tamper: (url) => url.searchParams.set("nonce", "attacker-chosen-nonce-value-000000000000000"),
    });
    expect(expectNoSignIn(page).searchParams.get("error")).toBe("provider_error");
    expect(failureReason("provider_error").some((reason) => reason.includes("nonce"))).toBe(true);
  });

  it("refuses a code issued for another PKCE challenge (verifier mismatch)", async () => {
    newUser();
    const before = idp.tokenRequests();
    const page = await runSocialLogin(browser(), {
      redirectTo: `${APP}/done`,
      tamper: (url) => url.searchParams.set("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
    });
    expect(expectNoSignIn(page).searchParams.get("error")).toBe("provider_error");
    // The provider was asked and said no: the verifier really was checked.
    expect(idp.tokenRequests()).toBe(before + 1);
    expect(failureReason("provider_error").some((reason) => reason.includes("invalid_grant"))).toBe(true);
  });

  it("cannot be downgraded to a flow without PKCE", async () => {
    newUser();
    const page = await runSocialLogin(browser(), {
      redirectTo: `${APP}/done`,
      tamper: (url) => {
        url.searchParams.delete("code_challenge");
        url.searchParams.delete("code_challenge_method");
      },
    });
    expect(expectNoSignIn(page).searchParams.get("error")).toBe("provider_error");
  });

  it("refuses a replayed provider code, even inside a fresh flow of the same browser", async () => {
    newUser();
    const agent = browser();
    const first = await callbackOf(agent);
    expect(landing(await agent.request("GET", first.href)).searchParams.has("code")).toBe(true);

    // A second flow in the same browser, whose callback carries the first, spent code.
    const second = await callbackOf(agent);
    second.searchParams.set("code", first.searchParams.get("code") ?? "");
    const page = await agent.request("GET", second.href);
    expect(expectNoSignIn(page).searchParams.get("error")).toBe("provider_error");
  });

  it("ends a denied consent on error=access_denied", async () => {
    newUser();
    const page = await runSocialLogin(browser(), { redirectTo: `${APP}/done`, deny: true });
    const url = expectNoSignIn(page);
    expect(`${url.origin}${url.pathname}`).toBe(`${APP}/done`);
    expect(url.searchParams.get("error")).toBe("access_denied");
  });

  it("refuses a redirectTo outside the allow-list, and an unknown provider, before anything else", async () => {
    for (const target of [
      "https://evil.example/done",
      `${APP}.evil.example/`,
      "//evil.example",
      `${APP}@evil.example/`,
    ]) {
      expectProblem(
        await t.get(`/v1/oauth/testidp/start?redirectTo=${encodeURIComponent(target)}`),
        400,
        "invalid_redirect",
      );
    }
    expectProblem(await t.get("/v1/oauth/nosuch/start"), 404, "not_found");
    expectProblem(await t.get("/v1/oauth/github/start"), 404, "not_found");
  });

  it("keeps the codes and state of the callback out of the log", async () => {
    newUser();
    const agent = browser();
    const callback = await callbackOf(agent);
    const before = lines.length;
    const other = browser();
    await other.request("GET", callback.href);
    const written = lines.slice(before).join("\n");
    expect(written).toContain("social login failed");
    expect(written).not.toContain(callback.searchParams.get("code") ?? "missing");
    expect(written).not.toContain(callback.searchParams.get("state") ?? "missing");
  });
});

describe("social login › a provider that is down", () => {
  it("redirects with error=provider_unavailable when discovery fails, never a 5xx", async () => {
    // A port that was just free: nothing listens there.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const t = await createTestApp({
      env: {
        PORTCULLIS_OAUTH_DOWNIDP_CLIENT_ID: "portcullis",
        PORTCULLIS_OAUTH_DOWNIDP_CLIENT_SECRET: "secret",
        PORTCULLIS_OAUTH_DOWNIDP_ISSUER: `http://127.0.0.1:${port}`,
        PORTCULLIS_REDIRECT_ALLOWLIST: APP,
      },
    });
    try {
      const response = await t.get(`/v1/oauth/downidp/start?redirectTo=${APP}/done`);
      expect(response.statusCode).toBe(302);
      const url = new URL(String(response.headers.location));
      expect(`${url.origin}${url.pathname}`).toBe(`${APP}/done`);
      expect(url.searchParams.get("error")).toBe("provider_unavailable");
    } finally {
      await t.close();
    }
  });

  it("redirects with error=provider_unavailable when the provider goes away before the callback", async () => {
    const idp = await startOidcProvider({ redirectUris: [`${PUBLIC_URL}/v1/oauth/testidp/callback`] });
    const t = await createTestApp({
      env: { ...idp.portcullisEnv("testidp"), PORTCULLIS_REDIRECT_ALLOWLIST: APP },
    });
    try {
      const email = uniqueEmail("down");
      idp.setNextUser({ sub: `sub-${email}`, email, email_verified: true });
      const agent = createBrowser(t, [idp.issuer]);
      const started = await agent.request("GET", startUrl({ redirectTo: `${APP}/done` }));
      const stopped = await continueAtProvider(agent, started.location ?? "", { stopBeforeCallback: true });
      await idp.close();
      const page = await agent.request("GET", stopped.location ?? "");
      expect(page.status).toBe(302);
      expect(new URL(page.location ?? "").searchParams.get("error")).toBe("provider_unavailable");
    } finally {
      await t.close();
    }
  });
});
