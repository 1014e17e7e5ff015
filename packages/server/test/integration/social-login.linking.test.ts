/**
 * Account linking and unlinking (API.md "Social login"; security.md §2.5 item 23: linking by an
 * unverified email is account takeover). Invariants: a provider identity joins an existing
 * account automatically only when the provider asserts the email is verified AND the account's
 * email is verified, otherwise the flow ends on `error=account_exists` and nothing is linked; an
 * explicit link (`link=1`) needs a signed-in caller and links to that caller only; an identity
 * belongs to one account; unlinking never removes the last way to sign in
 * (`409 last_sign_in_method`); an account made by social login sets its first password only
 * with a fresh authentication; and the owner is mailed, at the account's address, every time an
 * identity is linked (a new account, an automatic link, `link=1`), so no identity joins an
 * account unannounced.
 */
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdmin, send } from "../support/accounts.js";
import { createBrowser } from "../support/browser.js";
import { withCsrf } from "../support/cookies.js";
import { latestMailTo, mailsTo } from "../support/mail-outbox-folder.js";
import { startOidcProvider, type TestOidcProvider } from "../support/oidc-provider.js";
import { expectProblem } from "../support/problem-assertions.js";
import { continueAtProvider, landing, runSocialLogin } from "../support/social-login-flow.js";
import {
  bearer,
  createManualClock,
  createTestApp,
  PUBLIC_URL,
  STRONG_PASSWORD,
  type TestApp,
  type TokenResponseBody,
  uniqueEmail,
} from "../support/test-app.js";

const APP = "https://app.example.com";

interface EventsBody {
  events: { type: string; details: Record<string, unknown> }[];
}

describe("social login › linking accounts", () => {
  let idp: TestOidcProvider;
  let t: TestApp;

  beforeAll(async () => {
    idp = await startOidcProvider({
      redirectUris: [`${PUBLIC_URL}/v1/oauth/testidp/callback`, `${PUBLIC_URL}/v1/oauth/otheridp/callback`],
    });
    t = await createTestApp({
      env: {
        ...idp.portcullisEnv("testidp"),
        ...idp.portcullisEnv("otheridp"),
        PORTCULLIS_REDIRECT_ALLOWLIST: APP,
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  const browser = () => createBrowser(t, [idp.issuer]);

  /** Signs in through the provider as `sub`/`email` and exchanges the code. */
  async function socialSignIn(
    sub: string,
    email: string,
    emailVerified = true,
    provider = "testidp",
  ): Promise<URL> {
    idp.setNextUser({ sub, email, email_verified: emailVerified });
    return landing(await runSocialLogin(browser(), { provider, redirectTo: `${APP}/done` }));
  }
  async function exchange(landed: URL): Promise<TokenResponseBody> {
    const response = await t.post("/v1/auth/exchange", { code: landed.searchParams.get("code") });
    expect(response.statusCode, response.body).toBe(200);
    return response.json<TokenResponseBody>();
  }
  async function createLocalUser(emailVerified: boolean): Promise<{ email: string; id: string }> {
    const email = uniqueEmail("local");
    const created = await t.services.users.createUser(
      { email, password: STRONG_PASSWORD, emailVerified },
      null,
    );
    if (!created.ok) throw new Error(created.code);
    return { email, id: created.user.id };
  }
  const identitiesOf = async (accessToken: string) =>
    (await t.get("/v1/me/identities", bearer(accessToken))).json<{
      identities: { id: string; provider: string }[];
    }>().identities;
  const countIdentities = async (userId: string) =>
    (await t.database.db.selectFrom("identities").select("id").where("user_id", "=", userId).execute())
      .length;

  it("links automatically when both the provider and the account vouch for the email", async () => {
    const local = await createLocalUser(true);
    const tokens = await exchange(await socialSignIn(`sub-${local.email}`, local.email, true));
    expect(tokens.user.id).toBe(local.id);
    const events = (await t.get("/v1/me/events", bearer(tokens.accessToken))).json<EventsBody>().events;
    expect(events.find((event) => event.type === "identity.linked")?.details).toMatchObject({
      provider: "testidp",
      via: "verified_email",
    });
  });

  it("mails the account's address every time an identity is linked: new account, automatic link, link=1", async () => {
    const LINKED = /^A testidp sign-in was connected to your Portcullis account/;
    const created = uniqueEmail("created");
    const tokens = await exchange(await socialSignIn(`sub-${created}`, created, false));
    expect(tokens.user.email).toBe(created);
    expect((await latestMailTo(t, created, LINKED)).text).toContain(
      `A testidp account (${created}) was connected`,
    );

    const automatic = await createLocalUser(true);
    await exchange(await socialSignIn(`sub-${automatic.email}`, automatic.email, true));
    const notice = await latestMailTo(t, automatic.email, LINKED);
    expect(notice.text).toContain(`to the Portcullis account for ${automatic.email}`);
    expect(notice.html).toContain('<html lang="en">');

    const requested = await createLocalUser(true);
    const login = (
      await t.post("/v1/auth/login", { email: requested.email, password: STRONG_PASSWORD })
    ).json<TokenResponseBody>();
    const started = await t.get(
      `/v1/oauth/testidp/start?link=1&redirectTo=${APP}/settings`,
      bearer(login.accessToken),
    );
    const agent = browser();
    agent.keepCookies(PUBLIC_URL, [String(started.headers["set-cookie"])].flat());
    const elsewhere = uniqueEmail("elsewhere");
    idp.setNextUser({ sub: `requested-${requested.email}`, email: elsewhere, email_verified: true });
    const landed = landing(
      await continueAtProvider(agent, started.json<{ authorizationUrl: string }>().authorizationUrl),
    );
    expect(landed.searchParams.get("linked")).toBe("testidp");
    // To the account's address, naming the provider's: not to the address the provider gave.
    expect((await latestMailTo(t, requested.email, LINKED)).text).toContain(`(${elsewhere})`);
    expect(await mailsTo(t, elsewhere)).toEqual([]);
  });

  it("mails nothing when a link is refused", async () => {
    const local = await createLocalUser(false);
    const landed = await socialSignIn(`refused-${local.email}`, local.email, true);
    expect(landed.searchParams.get("error")).toBe("account_exists");
    expect((await mailsTo(t, local.email)).some((mail) => /sign-in was connected/.test(mail.subject))).toBe(
      false,
    );
  });

  it("refuses with account_exists when the account's own email is not verified", async () => {
    const local = await createLocalUser(false);
    const landed = await socialSignIn(`sub-${local.email}`, local.email, true);
    expect(landed.searchParams.get("error")).toBe("account_exists");
    expect(landed.searchParams.has("code")).toBe(false);
    expect(await countIdentities(local.id)).toBe(0);
  });

  it("refuses with account_exists when the provider does not assert the email is verified", async () => {
    const local = await createLocalUser(true);
    for (const verified of [false, undefined]) {
      const email = local.email.toUpperCase();
      idp.setNextUser({
        sub: `sub-${local.email}-${verified}`,
        email,
        ...(verified === undefined ? {} : { email_verified: verified }),
      });
      const landed = landing(await runSocialLogin(browser(), { redirectTo: `${APP}/done` }));
      expect(landed.searchParams.get("error")).toBe("account_exists");
    }
    expect(await countIdentities(local.id)).toBe(0);
    const login = await t.post("/v1/auth/login", { email: local.email, password: STRONG_PASSWORD });
    const events = (
      await t.get("/v1/me/events", bearer(login.json<TokenResponseBody>().accessToken))
    ).json<EventsBody>().events;
    expect(events.find((event) => event.type === "login.failed")?.details).toMatchObject({
      reason: "account_exists",
      method: "oauth:testidp",
    });
  });

  it("links with link=1 for a cookie session, whatever the emails say", async () => {
    const local = await createLocalUser(false);
    const agent = browser();
    const login = await t.post("/v1/auth/login", {
      email: local.email,
      password: STRONG_PASSWORD,
      transport: "cookie",
    });
    agent.keepCookies(PUBLIC_URL, [String(login.headers["set-cookie"])].flat());
    const sub = `linked-${local.email}`;
    idp.setNextUser({ sub, email: uniqueEmail("elsewhere"), email_verified: false });
    const landed = landing(await runSocialLogin(agent, { link: true, redirectTo: `${APP}/settings` }));
    expect(landed.searchParams.get("linked")).toBe("testidp");
    expect(landed.searchParams.has("code")).toBe(false);
    expect(await countIdentities(local.id)).toBe(1);

    // From now on that identity signs in to this account.
    const tokens = await exchange(await socialSignIn(sub, uniqueEmail("any")));
    expect(tokens.user.id).toBe(local.id);
  });

  it("with a bearer token answers 200 {authorizationUrl} and binds the flow with the cookie it sets", async () => {
    const local = await createLocalUser(true);
    const login = (
      await t.post("/v1/auth/login", { email: local.email, password: STRONG_PASSWORD })
    ).json<TokenResponseBody>();
    const started = await t.get(
      `/v1/oauth/testidp/start?link=1&redirectTo=${APP}/settings`,
      bearer(login.accessToken),
    );
    expect(started.statusCode, started.body).toBe(200);
    const { authorizationUrl } = started.json<{ authorizationUrl: string }>();
    expect(new URL(authorizationUrl).origin).toBe(idp.issuer);

    const agent = browser();
    agent.keepCookies(PUBLIC_URL, [String(started.headers["set-cookie"])].flat());
    idp.setNextUser({ sub: `bearer-${local.email}`, email: local.email, email_verified: true });
    const landed = landing(await continueAtProvider(agent, authorizationUrl));
    expect(landed.searchParams.get("linked")).toBe("testidp");
    expect((await identitiesOf(login.accessToken)).map((identity) => identity.provider)).toEqual(["testidp"]);
  });

  it("needs a signed-in caller to link", async () => {
    expectProblem(await t.get(`/v1/oauth/testidp/start?link=1&redirectTo=${APP}/x`), 401, "unauthenticated");
    expectProblem(
      await t.get(`/v1/oauth/testidp/start?link=1`, { authorization: "Bearer not-a-token" }),
      401,
      "invalid_token",
    );
  });

  it("refuses to link an identity that belongs to another account", async () => {
    const owner = await exchange(await socialSignIn(`taken-sub-${uniqueEmail()}`, uniqueEmail("owner")));
    const ownerSub = (
      await t.database.db
        .selectFrom("identities")
        .select("subject")
        .where("user_id", "=", owner.user.id)
        .executeTakeFirstOrThrow()
    ).subject;

    const other = await createLocalUser(true);
    const login = (
      await t.post("/v1/auth/login", { email: other.email, password: STRONG_PASSWORD })
    ).json<TokenResponseBody>();
    const started = await t.get(
      `/v1/oauth/testidp/start?link=1&redirectTo=${APP}/settings`,
      bearer(login.accessToken),
    );
    const agent = browser();
    agent.keepCookies(PUBLIC_URL, [String(started.headers["set-cookie"])].flat());
    idp.setNextUser({ sub: ownerSub, email: uniqueEmail("x"), email_verified: true });
    const landed = landing(
      await continueAtProvider(agent, started.json<{ authorizationUrl: string }>().authorizationUrl),
    );
    expect(landed.searchParams.get("error")).toBe("identity_in_use");
    expect(await countIdentities(other.id)).toBe(0);
  });

  it("refuses a disabled account: error=account_disabled at the callback, 403 at the exchange", async () => {
    const admin = await createAdmin(t);
    const sub = `disabled-${uniqueEmail()}`;
    const email = uniqueEmail("disabled");
    const pending = await socialSignIn(sub, email);
    const user = await exchange(pending);
    const unused = await socialSignIn(sub, email);

    const disabled = await send(t, "PATCH", `/v1/admin/users/${user.user.id}`, admin.headers, {
      disabled: true,
    });
    expect(disabled.statusCode, disabled.body).toBe(200);
    expect((await socialSignIn(sub, email)).searchParams.get("error")).toBe("account_disabled");
    expectProblem(
      await t.post("/v1/auth/exchange", { code: unused.searchParams.get("code") }),
      403,
      "account_disabled",
    );
  });
});

describe("social login › identities and passwords", () => {
  let idp: TestOidcProvider;
  let t: TestApp;
  const clock = createManualClock(Date.now());

  beforeAll(async () => {
    idp = await startOidcProvider({
      redirectUris: [`${PUBLIC_URL}/v1/oauth/testidp/callback`, `${PUBLIC_URL}/v1/oauth/otheridp/callback`],
    });
    t = await createTestApp({
      env: {
        ...idp.portcullisEnv("testidp"),
        ...idp.portcullisEnv("otheridp"),
        PORTCULLIS_REDIRECT_ALLOWLIST: APP,
      },
      clock,
    });
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  async function socialUser(provider = "testidp"): Promise<TokenResponseBody & { sub: string }> {
    const email = uniqueEmail("social");
    const sub = `sub-${email}`;
    idp.setNextUser({ sub, email, email_verified: true });
    const landed = landing(
      await runSocialLogin(createBrowser(t, [idp.issuer]), { provider, redirectTo: `${APP}/x` }),
    );
    const response = await t.post("/v1/auth/exchange", { code: landed.searchParams.get("code") });
    expect(response.statusCode, response.body).toBe(200);
    return { ...response.json<TokenResponseBody>(), sub };
  }
  const identities = async (accessToken: string) =>
    (await t.get("/v1/me/identities", bearer(accessToken))).json<{
      identities: { id: string; provider: string }[];
    }>().identities;
  const unlink = (accessToken: string, id: string): Promise<LightMyRequestResponse> =>
    send(t, "DELETE", `/v1/me/identities/${id}`, bearer(accessToken));

  it("refuses to unlink the only way to sign in, then allows it once a password is set", async () => {
    const user = await socialUser();
    const [identity] = await identities(user.accessToken);
    expectProblem(await unlink(user.accessToken, identity?.id ?? ""), 409, "last_sign_in_method");

    const set = await t.post(
      "/v1/me/password",
      { newPassword: `${STRONG_PASSWORD}-first` },
      bearer(user.accessToken),
    );
    expect(set.statusCode, set.body).toBe(204);
    const login = await t.post("/v1/auth/login", {
      email: user.user.email,
      password: `${STRONG_PASSWORD}-first`,
    });
    expect(login.statusCode, login.body).toBe(200);

    const unlinked = await unlink(user.accessToken, identity?.id ?? "");
    expect(unlinked.statusCode, unlinked.body).toBe(204);
    expect(await identities(user.accessToken)).toEqual([]);
    const events = (await t.get("/v1/me/events", bearer(user.accessToken))).json<EventsBody>().events;
    expect(events.find((event) => event.type === "identity.unlinked")?.details).toMatchObject({
      identityId: identity?.id,
      provider: "testidp",
    });
    expect(events.find((event) => event.type === "password.changed")?.details).toMatchObject({
      firstPassword: true,
    });
  });

  it("unlinks one of two identities of an account without a password, but not the second", async () => {
    const user = await socialUser();
    // Link a second identity (at "otheridp") with the session cookie of a fresh cookie sign-in.
    const agent = createBrowser(t, [idp.issuer]);
    idp.setNextUser({ sub: user.sub, email: user.user.email, email_verified: true });
    landing(await runSocialLogin(agent, { transport: "cookie", redirectTo: `${APP}/x` }));
    idp.setNextUser({ sub: `second-${user.sub}`, email: user.user.email, email_verified: true });
    expect(
      landing(
        await runSocialLogin(agent, { provider: "otheridp", link: true, redirectTo: `${APP}/x` }),
      ).searchParams.get("linked"),
    ).toBe("otheridp");

    const [first, second] = await identities(user.accessToken);
    expect((await unlink(user.accessToken, first?.id ?? "")).statusCode).toBe(204);
    expectProblem(await unlink(user.accessToken, second?.id ?? ""), 409, "last_sign_in_method");
  });

  it("unlinks with the session cookie only with a CSRF token", async () => {
    const user = await socialUser();
    await t.post("/v1/me/password", { newPassword: `${STRONG_PASSWORD}-csrf` }, bearer(user.accessToken));
    const login = await t.post("/v1/auth/login", {
      email: user.user.email,
      password: `${STRONG_PASSWORD}-csrf`,
      transport: "cookie",
    });
    const cookie = {
      cookie: `pc_session=${/pc_session=([^;]+)/.exec(String(login.headers["set-cookie"]))?.[1]}`,
    };
    const [identity] = await identities(user.accessToken);
    expectProblem(await send(t, "DELETE", `/v1/me/identities/${identity?.id}`, cookie), 403, "csrf_failed");
    const unlinked = await send(t, "DELETE", `/v1/me/identities/${identity?.id}`, await withCsrf(t, cookie));
    expect(unlinked.statusCode, unlinked.body).toBe(204);
  });

  it("answers 404 for another user's identity and for an unknown one", async () => {
    const owner = await socialUser();
    const [identity] = await identities(owner.accessToken);
    const other = await socialUser();
    expectProblem(await unlink(other.accessToken, identity?.id ?? ""), 404, "not_found");
    expectProblem(await unlink(other.accessToken, "no-such-identity"), 404, "not_found");
    expect(await identities(owner.accessToken)).toHaveLength(1);
  });

  it("sets a first password only without a current one, and only after a recent sign-in", async () => {
    const user = await socialUser();
    expectProblem(
      await t.post(
        "/v1/me/password",
        { currentPassword: "guess-something", newPassword: `${STRONG_PASSWORD}-2` },
        bearer(user.accessToken),
      ),
      401,
      "invalid_credentials",
    );
    clock.advance(11 * 60_000);
    expectProblem(
      await t.post("/v1/me/password", { newPassword: `${STRONG_PASSWORD}-2` }, bearer(user.accessToken)),
      401,
      "reauthentication_required",
    );
  });

  it("links and unlinks only after a recent sign-in (step-up)", async () => {
    const user = await socialUser();
    await t.post("/v1/me/password", { newPassword: `${STRONG_PASSWORD}-4` }, bearer(user.accessToken));
    const [identity] = await identities(user.accessToken);
    clock.advance(11 * 60_000);
    expectProblem(
      await t.get(`/v1/oauth/otheridp/start?link=1&redirectTo=${APP}/x`, bearer(user.accessToken)),
      401,
      "reauthentication_required",
    );
    expectProblem(await unlink(user.accessToken, identity?.id ?? ""), 401, "reauthentication_required");
    expect(await identities(user.accessToken)).toHaveLength(1);
  });

  it("still demands the current password from an account that has one", async () => {
    const email = uniqueEmail("haspassword");
    await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD });
    const login = (
      await t.post("/v1/auth/login", { email, password: STRONG_PASSWORD })
    ).json<TokenResponseBody>();
    for (const body of [
      { newPassword: `${STRONG_PASSWORD}-3` },
      { currentPassword: "", newPassword: `${STRONG_PASSWORD}-3` },
    ]) {
      expectProblem(
        await t.post("/v1/me/password", body, bearer(login.accessToken)),
        401,
        "invalid_credentials",
      );
    }
  });
});
