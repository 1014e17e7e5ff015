/**
 * Social login against a real OpenID provider on loopback (oidc-provider), driven over HTTP like
 * a browser: start → provider login and consent forms → callback → the app's `redirectTo`.
 * Invariants: tokens never travel in a URL (the callback hands a one-time code, 60 s, single use,
 * for POST /v1/auth/exchange, or sets the session cookie); a verified provider email makes a
 * verified account with no password; the same identity always reaches the same account; the
 * sign-in is audited as `login.succeeded` with method `oauth:<id>` and amr `fed`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBrowser } from "../support/browser.js";
import { setCookie } from "../support/cookies.js";
import { startOidcProvider, type TestOidcProvider } from "../support/oidc-provider.js";
import { expectProblem } from "../support/problem-assertions.js";
import { landing, runSocialLogin } from "../support/social-login-flow.js";
import {
  bearer,
  createManualClock,
  createTestApp,
  PUBLIC_URL,
  type TestApp,
  type TokenResponseBody,
  uniqueEmail,
} from "../support/test-app.js";

const APP = "https://app.example.com";
const CALLBACK = `${PUBLIC_URL}/v1/oauth/testidp/callback`;

describe("social login › OpenID Connect provider", () => {
  let idp: TestOidcProvider;
  let t: TestApp;

  beforeAll(async () => {
    idp = await startOidcProvider({ redirectUris: [CALLBACK] });
    t = await createTestApp({
      env: { ...idp.portcullisEnv("testidp"), PORTCULLIS_REDIRECT_ALLOWLIST: `${APP}/done,${PUBLIC_URL}` },
    });
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  const browser = () => createBrowser(t, [idp.issuer]);

  it("sends the browser to the provider with PKCE S256, state and nonce, and binds the flow with a cookie", async () => {
    const page = await browser().request(
      "GET",
      `${PUBLIC_URL}/v1/oauth/testidp/start?redirectTo=${APP}/done`,
    );
    expect(page.status).toBe(302);
    const authorization = new URL(page.location ?? "");
    expect(authorization.origin).toBe(idp.issuer);
    expect(authorization.searchParams.get("client_id")).toBe(idp.clientId);
    expect(authorization.searchParams.get("redirect_uri")).toBe(CALLBACK);
    expect(authorization.searchParams.get("response_type")).toBe("code");
    expect(authorization.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorization.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorization.searchParams.get("state")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorization.searchParams.get("nonce")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorization.searchParams.get("scope")).toBe("openid email profile");
    expect(authorization.searchParams.has("code_verifier")).toBe(false);
  });

  it("sets the binding cookie HttpOnly, SameSite=Lax, for ten minutes", async () => {
    const response = await t.get(`/v1/oauth/testidp/start?redirectTo=${APP}/done`);
    const cookie = setCookie(response, "pc_oauth");
    expect(cookie.attributes).toMatchObject({ httponly: "", samesite: "Lax", path: "/", "max-age": "600" });
    expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("creates a verified account without a password, and hands a one-time code instead of tokens", async () => {
    const email = uniqueEmail("social");
    idp.setNextUser({ sub: `sub-${email}`, email, email_verified: true, name: "Ada Lovelace" });
    const landed = landing(await runSocialLogin(browser(), { redirectTo: `${APP}/done?tab=1` }));

    expect(`${landed.origin}${landed.pathname}`).toBe(`${APP}/done`);
    expect(landed.searchParams.get("tab")).toBe("1");
    const code = landed.searchParams.get("code") ?? "";
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(landed.href).not.toMatch(/eyJ|access|refresh/i);

    const exchanged = await t.post("/v1/auth/exchange", { code });
    expect(exchanged.statusCode, exchanged.body).toBe(200);
    expect(exchanged.headers["cache-control"]).toBe("no-store");
    const tokens = exchanged.json<TokenResponseBody & { user: { emailVerified: boolean; name: string } }>();
    expect(tokens.user).toMatchObject({ email, emailVerified: true, name: "Ada Lovelace" });
    expect(setCookie(exchanged, "pc_refresh").value).toBe(tokens.refreshToken);

    const me = await t.get("/v1/me", bearer(tokens.accessToken));
    expect(me.json<{ user: { email: string } }>().user.email).toBe(email);
    const stored = await t.services.users.getUser(tokens.user.id);
    expect(stored?.emailVerified).toBe(true);
    const row = await t.database.db
      .selectFrom("users")
      .select("password_hash")
      .where("id", "=", tokens.user.id)
      .executeTakeFirstOrThrow();
    expect(row.password_hash).toBeNull();

    // The code works once.
    expectProblem(await t.post("/v1/auth/exchange", { code }), 400, "invalid_code");
  });

  it("audits the sign-in as login.succeeded with method oauth:testidp and amr fed", async () => {
    const email = uniqueEmail("audit");
    idp.setNextUser({ sub: `sub-${email}`, email, email_verified: true });
    const code = landing(await runSocialLogin(browser(), { redirectTo: `${APP}/done` })).searchParams.get(
      "code",
    );
    const tokens = (await t.post("/v1/auth/exchange", { code })).json<TokenResponseBody>();

    const events = (await t.get("/v1/me/events", bearer(tokens.accessToken))).json<{
      events: { type: string; details: Record<string, unknown> }[];
    }>().events;
    expect(events.find((event) => event.type === "login.succeeded")?.details).toMatchObject({
      method: "oauth:testidp",
      amr: "fed",
    });
    expect(events.find((event) => event.type === "user.registered")?.details).toMatchObject({
      method: "oauth:testidp",
    });
    expect(events.find((event) => event.type === "identity.linked")?.details).toMatchObject({
      provider: "testidp",
      via: "new_account",
    });
    const payload = JSON.parse(Buffer.from(tokens.accessToken.split(".")[1] ?? "", "base64url").toString());
    expect(payload.amr).toEqual(["fed"]);
  });

  it("signs the same identity in to the same account the next time, even with another email", async () => {
    const sub = `returning-${uniqueEmail()}`;
    const email = uniqueEmail("first");
    idp.setNextUser({ sub, email, email_verified: true });
    const first = landing(await runSocialLogin(browser(), { redirectTo: `${APP}/done` }));
    const firstUser = (
      await t.post("/v1/auth/exchange", { code: first.searchParams.get("code") })
    ).json<TokenResponseBody>().user;

    idp.setNextUser({ sub, email: uniqueEmail("changed"), email_verified: true });
    const second = landing(await runSocialLogin(browser(), { redirectTo: `${APP}/done` }));
    const secondUser = (
      await t.post("/v1/auth/exchange", { code: second.searchParams.get("code") })
    ).json<TokenResponseBody>().user;
    expect(secondUser.id).toBe(firstUser.id);
    expect(secondUser.email).toBe(email);
  });

  it("gives two concurrent first sign-ins of one identity one account and one identity", async () => {
    const email = uniqueEmail("race");
    idp.setNextUser({ sub: `sub-${email}`, email, email_verified: true });
    const agents = [browser(), browser()];
    const callbacks = await Promise.all(
      agents.map((agent) => runSocialLogin(agent, { redirectTo: `${APP}/done`, stopBeforeCallback: true })),
    );
    const landed = await Promise.all(
      agents.map(async (agent, i) => landing(await agent.request("GET", callbacks[i]?.location ?? ""))),
    );
    const users = await Promise.all(
      landed.map(async (url) => {
        const response = await t.post("/v1/auth/exchange", { code: url.searchParams.get("code") });
        expect(response.statusCode, response.body).toBe(200);
        return response.json<TokenResponseBody>().user.id;
      }),
    );
    expect(users[0]).toBe(users[1]);
    const rows = await t.database.db
      .selectFrom("identities")
      .select("id")
      .where("user_id", "=", users[0] ?? "")
      .execute();
    expect(rows).toHaveLength(1);
  });

  it("with transport=cookie sets the session cookie and redirects without a code", async () => {
    const email = uniqueEmail("cookie");
    idp.setNextUser({ sub: `sub-${email}`, email, email_verified: true });
    const agent = browser();
    const landed = landing(await runSocialLogin(agent, { redirectTo: `${APP}/done`, transport: "cookie" }));
    expect(landed.href).toBe(`${APP}/done`);
    const session = agent.cookies(PUBLIC_URL).get("pc_session");
    expect(session).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const me = await t.get("/v1/me", { cookie: `pc_session=${session}` });
    expect(me.statusCode, me.body).toBe(200);
    expect(me.json<{ user: { email: string } }>().user.email).toBe(email);
  });

  it("without redirectTo returns to the first allow-list entry", async () => {
    const email = uniqueEmail("default");
    idp.setNextUser({ sub: `sub-${email}`, email, email_verified: true });
    const landed = landing(await runSocialLogin(browser()));
    expect(`${landed.origin}${landed.pathname}`).toBe(`${APP}/done`);
    expect(landed.searchParams.get("code")).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("an unverified provider email makes an unverified account and mails a verification link", async () => {
    const email = uniqueEmail("unverified");
    idp.setNextUser({ sub: `sub-${email}`, email, email_verified: false });
    const code = landing(await runSocialLogin(browser(), { redirectTo: `${APP}/done` })).searchParams.get(
      "code",
    );
    const tokens = (await t.post("/v1/auth/exchange", { code })).json<
      TokenResponseBody & { user: { emailVerified: boolean } }
    >();
    expect(tokens.user.emailVerified).toBe(false);
    const events = (await t.get("/v1/me/events", bearer(tokens.accessToken))).json<{
      events: { type: string }[];
    }>().events;
    expect(events.map((event) => event.type)).toContain("email.verification_sent");
  });

  it("lists the account's identities", async () => {
    const email = uniqueEmail("list");
    idp.setNextUser({ sub: `sub-${email}`, email, email_verified: true });
    const code = landing(await runSocialLogin(browser(), { redirectTo: `${APP}/done` })).searchParams.get(
      "code",
    );
    const tokens = (await t.post("/v1/auth/exchange", { code })).json<TokenResponseBody>();
    const listed = await t.get("/v1/me/identities", bearer(tokens.accessToken));
    expect(listed.statusCode).toBe(200);
    const { identities } = listed.json<{ identities: Record<string, unknown>[] }>();
    expect(identities).toHaveLength(1);
    expect(identities[0]).toMatchObject({ provider: "testidp", email });
    expect(Object.keys(identities[0] ?? {}).sort()).toEqual(["createdAt", "email", "id", "provider"]);
  });

  it("refuses malformed, unknown and empty exchange codes with 400 invalid_code", async () => {
    expectProblem(await t.post("/v1/auth/exchange", { code: "x" }), 400, "invalid_code");
    expectProblem(await t.post("/v1/auth/exchange", { code: "A".repeat(43) }), 400, "invalid_code");
    expectProblem(await t.post("/v1/auth/exchange", { code: "" }), 400, "invalid_code");
    expectProblem(await t.post("/v1/auth/exchange", {}), 400, "validation_failed");
  });
});

describe("social login › the exchange code's lifetime", () => {
  it("refuses a code after 60 seconds", async () => {
    const idp = await startOidcProvider({ redirectUris: [CALLBACK] });
    const clock = createManualClock(Date.now());
    const t = await createTestApp({
      env: { ...idp.portcullisEnv("testidp"), PORTCULLIS_REDIRECT_ALLOWLIST: APP },
      clock,
    });
    try {
      const email = uniqueEmail("expiry");
      idp.setNextUser({ sub: `sub-${email}`, email, email_verified: true });
      const first = landing(await runSocialLogin(createBrowser(t, [idp.issuer]), { redirectTo: `${APP}/x` }));
      clock.advance(60_001);
      expectProblem(
        await t.post("/v1/auth/exchange", { code: first.searchParams.get("code") }),
        400,
        "invalid_code",
      );

      const second = landing(
        await runSocialLogin(createBrowser(t, [idp.issuer]), { redirectTo: `${APP}/x` }),
      );
      clock.advance(59_000);
      const exchanged = await t.post("/v1/auth/exchange", { code: second.searchParams.get("code") });
      expect(exchanged.statusCode, exchanged.body).toBe(200);
    } finally {
      await t.close();
      await idp.close();
    }
  });
});
