/**
 * Social login does not skip the second factor (security.md §2.4 item 20; ASVS 6.3.4: every way
 * in has the same strength). Invariant: for an account with TOTP, a social sign-in hands out no
 * session until the second factor is proven — the exchange answers `mfaRequired` as the login
 * does, a cookie sign-in gets no cookie (only a one-time code, since an mfaToken must not travel
 * in a URL), and the session opened by POST /v1/auth/mfa carries `amr` fed + otp + mfa.
 */
import * as OTPAuth from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBrowser } from "../support/browser.js";
import { startOidcProvider, type TestOidcProvider } from "../support/oidc-provider.js";
import { landing, runSocialLogin } from "../support/social-login-flow.js";
import {
  bearer,
  createTestApp,
  PUBLIC_URL,
  type TestApp,
  type TokenResponseBody,
  uniqueEmail,
} from "../support/test-app.js";

const APP = "https://app.example.com";

describe("social login › second factor", () => {
  let idp: TestOidcProvider;
  let t: TestApp;

  beforeAll(async () => {
    idp = await startOidcProvider({ redirectUris: [`${PUBLIC_URL}/v1/oauth/testidp/callback`] });
    t = await createTestApp({ env: { ...idp.portcullisEnv("testidp"), PORTCULLIS_REDIRECT_ALLOWLIST: APP } });
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  const signIn = async (sub: string, email: string, transport: "token" | "cookie" = "token") => {
    idp.setNextUser({ sub, email, email_verified: true });
    const agent = createBrowser(t, [idp.issuer]);
    return { agent, landed: landing(await runSocialLogin(agent, { redirectTo: `${APP}/done`, transport })) };
  };

  /** A social account with TOTP enabled, and a code generator for it. */
  async function accountWithTotp() {
    const email = uniqueEmail("mfa");
    const sub = `sub-${email}`;
    const { landed } = await signIn(sub, email);
    const tokens = (
      await t.post("/v1/auth/exchange", { code: landed.searchParams.get("code") })
    ).json<TokenResponseBody>();
    const setup = await t.post("/v1/mfa/totp/setup", undefined, bearer(tokens.accessToken));
    expect(setup.statusCode, setup.body).toBe(200);
    const totp = new OTPAuth.TOTP({
      secret: OTPAuth.Secret.fromBase32(setup.json<{ secret: string }>().secret),
    });
    const enabled = await t.post(
      "/v1/mfa/totp/enable",
      { code: totp.generate() },
      bearer(tokens.accessToken),
    );
    expect(enabled.statusCode, enabled.body).toBe(200);
    // The next time step's code: the one used to enable is never accepted again.
    return { sub, email, nextCode: () => totp.generate({ timestamp: Date.now() + 30_000 }) };
  }

  it("answers the exchange with mfaRequired, and opens the session only after the second factor", async () => {
    const account = await accountWithTotp();
    const { landed } = await signIn(account.sub, account.email);
    const exchanged = await t.post("/v1/auth/exchange", { code: landed.searchParams.get("code") });
    expect(exchanged.statusCode, exchanged.body).toBe(200);
    const body = exchanged.json<{
      mfaRequired: boolean;
      mfaToken: string;
      methods: string[];
      accessToken?: string;
    }>();
    expect(body).toMatchObject({ mfaRequired: true });
    expect(body.methods).toContain("totp");
    expect(body.accessToken).toBeUndefined();
    expect(exchanged.headers["set-cookie"]).toBeUndefined();

    const finished = await t.post("/v1/auth/mfa", { mfaToken: body.mfaToken, code: account.nextCode() });
    expect(finished.statusCode, finished.body).toBe(200);
    const { accessToken } = finished.json<TokenResponseBody>();
    const claims = JSON.parse(Buffer.from(accessToken.split(".")[1] ?? "", "base64url").toString());
    expect(claims.amr).toEqual(expect.arrayContaining(["fed", "otp", "mfa"]));
  });

  it("sets no session cookie at the callback of a cookie sign-in; the code's exchange asks for the factor", async () => {
    const account = await accountWithTotp();
    const { agent, landed } = await signIn(account.sub, account.email, "cookie");
    expect(agent.cookies(PUBLIC_URL).has("pc_session")).toBe(false);
    const exchanged = await t.post("/v1/auth/exchange", { code: landed.searchParams.get("code") });
    expect(exchanged.json<{ mfaRequired: boolean }>().mfaRequired).toBe(true);
  });
});
