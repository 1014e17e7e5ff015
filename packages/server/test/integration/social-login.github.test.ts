/**
 * The `github` provider: plain OAuth 2.0 with PKCE S256 and `state` (no ID token, no nonce), the
 * profile and the primary email from the REST API, against a loopback stand-in for GitHub
 * (test/support/fake-github.ts). Invariants: the numeric account id is the subject; only a
 * primary address GitHub marks verified counts as verified; GitHub's errors (denied consent, a
 * code refused with HTTP 200, an API that is down) end on `?error=`, never a 5xx.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBrowser } from "../support/browser.js";
import { type FakeGitHub, startFakeGitHub } from "../support/fake-github.js";
import { continueAtProvider, landing, startUrl } from "../support/social-login-flow.js";
import {
  createTestApp,
  STRONG_PASSWORD,
  type TestApp,
  type TokenResponseBody,
  uniqueEmail,
} from "../support/test-app.js";

const APP = "https://app.example.com";

describe("social login › GitHub", () => {
  let github: FakeGitHub;
  let t: TestApp;
  let nextId = 1000;

  beforeAll(async () => {
    github = await startFakeGitHub();
    t = await createTestApp({ env: { ...github.portcullisEnv(), PORTCULLIS_REDIRECT_ALLOWLIST: APP } });
  });
  afterAll(async () => {
    await t?.close();
    await github?.close();
  });

  const signIn = async (tamper?: (url: URL) => void) => {
    const agent = createBrowser(t, [github.url]);
    const started = await agent.request("GET", startUrl({ provider: "github", redirectTo: `${APP}/done` }));
    expect(started.status, started.body).toBe(302);
    return landing(
      await continueAtProvider(agent, started.location ?? "", tamper === undefined ? {} : { tamper }),
    );
  };
  const account = (email: string, verified: boolean, extra: Partial<{ name: string | null }> = {}) => {
    const id = ++nextId;
    github.setNextUser({
      id,
      login: `octo${id}`,
      name: extra.name === undefined ? "Mona Octocat" : extra.name,
      emails: [
        { email: `noreply-${id}@users.noreply.github.com`, primary: false, verified: true },
        { email, primary: true, verified },
      ],
    });
    return id;
  };

  it("asks GitHub with PKCE S256, state and the least scopes, and no nonce", async () => {
    const started = await t.get(`/v1/oauth/github/start?redirectTo=${APP}/done`);
    expect(started.statusCode).toBe(302);
    const url = new URL(String(started.headers.location));
    expect(`${url.origin}${url.pathname}`).toBe(`${github.url}/login/oauth/authorize`);
    expect(url.searchParams.get("scope")).toBe("read:user user:email");
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    expect(url.searchParams.get("state")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.has("nonce")).toBe(false);
    expect(url.searchParams.get("redirect_uri")).toBe(`${t.config.publicUrl}/v1/oauth/github/callback`);
  });

  it("creates a verified account from the verified primary email, keyed by the numeric id", async () => {
    const email = uniqueEmail("octo");
    const id = account(email, true);
    const landed = await signIn();
    const exchanged = await t.post("/v1/auth/exchange", { code: landed.searchParams.get("code") });
    expect(exchanged.statusCode, exchanged.body).toBe(200);
    const { user } = exchanged.json<TokenResponseBody & { user: { emailVerified: boolean; name: string } }>();
    expect(user).toMatchObject({ email, emailVerified: true, name: "Mona Octocat" });
    const identity = await t.database.db
      .selectFrom("identities")
      .selectAll()
      .where("user_id", "=", user.id)
      .executeTakeFirstOrThrow();
    expect(identity).toMatchObject({ provider: "github", subject: String(id), email });
  });

  it("uses the login as the name when the profile has none", async () => {
    const id = account(uniqueEmail("noname"), true, { name: null });
    const landed = await signIn();
    const { user } = (await t.post("/v1/auth/exchange", { code: landed.searchParams.get("code") })).json<
      TokenResponseBody & { user: { name: string } }
    >();
    expect(user.name).toBe(`octo${id}`);
  });

  it("does not link to an existing account when GitHub has not verified the primary email", async () => {
    const email = uniqueEmail("existing");
    await t.services.users.createUser({ email, password: STRONG_PASSWORD, emailVerified: true }, null);
    account(email, false);
    expect((await signIn()).searchParams.get("error")).toBe("account_exists");
  });

  it("ends a refusal at GitHub on error=access_denied", async () => {
    account(uniqueEmail("deny"), true);
    github.denyNext();
    const landed = await signIn();
    expect(landed.searchParams.get("error")).toBe("access_denied");
    expect(landed.searchParams.has("code")).toBe(false);
  });

  it("ends a code GitHub refuses (HTTP 200 with an error) on error=provider_error", async () => {
    account(uniqueEmail("pkce"), true);
    const landed = await signIn((url) =>
      url.searchParams.set("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
    );
    expect(landed.searchParams.get("error")).toBe("provider_error");
  });

  it("ends an API that is down on error=provider_unavailable", async () => {
    account(uniqueEmail("down"), true);
    github.setApiDown(true);
    try {
      expect((await signIn()).searchParams.get("error")).toBe("provider_unavailable");
    } finally {
      github.setApiDown(false);
    }
  });
});
