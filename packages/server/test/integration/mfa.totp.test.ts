/**
 * Invariant: TOTP is a second factor end to end (API.md "MFA"). Setup hands out the secret, its
 * otpauth:// URL and a PNG QR code, and changes nothing until a first valid code enables it;
 * from then on a password login answers `mfaRequired` with an mfaToken and no credential at all
 * (security.md §2.4: no token before the second factor), and `POST /v1/auth/mfa` with a current
 * code finishes it — as the login would have, for the transport chosen at login — with `amr`
 * `["pwd","otp","mfa"]`. The mfaToken is single use and lives five minutes; it is no access
 * token. `mfaEnabled` in the user says whether a second factor is enrolled.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSignedInUser } from "../support/accounts.js";
import { setCookie, setCookies } from "../support/cookies.js";
import {
  claimsOf,
  completeMfa,
  currentCode,
  enrolTotp,
  loginForMfa,
  type MfaRequiredBody,
  nextStep,
} from "../support/mfa.js";
import { expectProblem } from "../support/problem-assertions.js";
import {
  bearer,
  createManualClock,
  createTestApp,
  STRONG_PASSWORD,
  type TestApp,
  type TokenResponseBody,
} from "../support/test-app.js";

const MINUTE = 60_000;

describe("TOTP: setup → enable → login → verify", () => {
  const clock = createManualClock(Date.now());
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ clock });
  });
  afterAll(() => t.close());

  const me = async (headers: Record<string, string>) =>
    (await t.get("/v1/me", headers)).json<{ user: { mfaEnabled: boolean } }>().user;

  it("setup answers the secret, an otpauth:// URL and a PNG QR code, and enables nothing", async () => {
    const user = await createSignedInUser(t);
    const setup = await t.post("/v1/mfa/totp/setup", {}, user.headers);
    expect(setup.statusCode, setup.body).toBe(200);
    expect(setup.headers["cache-control"]).toBe("no-store");
    const body = setup.json<{ secret: string; otpauthUrl: string; qrCode: string }>();
    expect(body.secret).toMatch(/^[A-Z2-7]{32}$/); // 160 bits in base32
    const url = new URL(body.otpauthUrl);
    expect(url.protocol).toBe("otpauth:");
    expect(decodeURIComponent(url.pathname)).toBe(`/Portcullis:${user.email}`);
    expect(url.searchParams.get("secret")).toBe(body.secret);
    expect(url.searchParams.get("issuer")).toBe("Portcullis");
    expect(body.qrCode).toMatch(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);

    // Not active: the user has no second factor, and the password alone still signs in.
    expect((await me(user.headers)).mfaEnabled).toBe(false);
    const login = await t.post("/v1/auth/login", { email: user.email, password: STRONG_PASSWORD });
    expect(login.json<TokenResponseBody>().accessToken).toEqual(expect.any(String));
  });

  it("stores the secret sealed, never as it was handed out", async () => {
    const user = await createSignedInUser(t);
    const setup = (await t.post("/v1/mfa/totp/setup", {}, user.headers)).json<{ secret: string }>();
    const row = await t.database.db
      .selectFrom("mfa_totp")
      .selectAll()
      .where("user_id", "=", user.user.id)
      .executeTakeFirstOrThrow();
    expect(row.secret_sealed).toMatch(/^v1\./);
    expect(row.key_id).toMatch(/^t1-[0-9a-f]{16}$/);
    expect(JSON.stringify(row)).not.toContain(setup.secret);
    expect(row.enabled_at).toBeNull();
  });

  it("refuses a wrong first code with 400 invalid_mfa_code and stays disabled", async () => {
    const user = await createSignedInUser(t);
    expect((await t.post("/v1/mfa/totp/setup", {}, user.headers)).statusCode).toBe(200);
    expectProblem(
      await t.post("/v1/mfa/totp/enable", { code: "000000" }, user.headers),
      400,
      "invalid_mfa_code",
    );
    expect((await me(user.headers)).mfaEnabled).toBe(false);
  });

  it("enable without a setup is refused", async () => {
    const user = await createSignedInUser(t);
    expectProblem(
      await t.post("/v1/mfa/totp/enable", { code: "123456" }, user.headers),
      400,
      "invalid_mfa_code",
    );
  });

  it("a first valid code enables it, answers ten backup codes and sets mfaEnabled; setup then answers 409", async () => {
    const user = await createSignedInUser(t);
    const { backupCodes } = await enrolTotp(t, user.headers);
    expect(backupCodes).toHaveLength(10);
    expect((await me(user.headers)).mfaEnabled).toBe(true);
    expectProblem(await t.post("/v1/mfa/totp/setup", {}, user.headers), 409, "mfa_already_enabled");
    const events = (await t.get("/v1/me/events", user.headers)).json<{ events: { type: string }[] }>().events;
    expect(events.map((event) => event.type)).toContain("mfa.enabled");
  });

  it("a password login then answers mfaRequired with no credential, and a current code finishes it", async () => {
    const user = await createSignedInUser(t);
    const { secret } = await enrolTotp(t, user.headers);

    const login = await t.post("/v1/auth/login", { email: user.email, password: STRONG_PASSWORD });
    expect(login.statusCode, login.body).toBe(200);
    expect(login.headers["cache-control"]).toBe("no-store");
    expect(setCookies(login)).toEqual([]);
    const challenge = login.json<MfaRequiredBody & Record<string, unknown>>();
    expect(challenge).toEqual({
      mfaRequired: true,
      mfaToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      methods: ["totp", "backup_code"],
    });
    expect(challenge).not.toHaveProperty("accessToken");

    nextStep(clock);
    const done = await completeMfa(t, { mfaToken: challenge.mfaToken, code: currentCode(t, secret) });
    expect(done.statusCode, done.body).toBe(200);
    const tokens = done.json<TokenResponseBody & { user: { mfaEnabled: boolean } }>();
    expect(tokens.user).toMatchObject({ id: user.user.id, mfaEnabled: true });
    expect(claimsOf(tokens.accessToken).amr).toEqual(["pwd", "otp", "mfa"]);
    expect(setCookie(done, "pc_refresh").value).toBe(tokens.refreshToken);

    // The session remembers how it was made: the device list and a refreshed token say so too.
    const sessions = await t.get("/v1/sessions", bearer(tokens.accessToken));
    const current = sessions
      .json<{ sessions: { current: boolean; amr: string[] }[] }>()
      .sessions.find((s) => s.current);
    expect(current?.amr).toEqual(["pwd", "otp", "mfa"]);
    const refreshed = await t.post("/v1/auth/refresh", { refreshToken: tokens.refreshToken });
    expect(claimsOf(refreshed.json<TokenResponseBody>().accessToken).amr).toEqual(["pwd", "otp", "mfa"]);

    // Single use: the same mfaToken (even with a new code) is refused.
    nextStep(clock);
    expectProblem(
      await completeMfa(t, { mfaToken: challenge.mfaToken, code: currentCode(t, secret) }),
      401,
      "invalid_mfa_token",
    );
  });

  it("a wrong code is 401 invalid_mfa_code and is recorded", async () => {
    const user = await createSignedInUser(t);
    const { secret } = await enrolTotp(t, user.headers);
    const { mfaToken } = await loginForMfa(t, user.email);
    const wrong = currentCode(t, secret) === "123456" ? "654321" : "123456";
    expectProblem(await completeMfa(t, { mfaToken, code: wrong }), 401, "invalid_mfa_code");
    const events = (await t.get("/v1/me/events", user.headers)).json<{
      events: { type: string; details: Record<string, unknown> }[];
    }>().events;
    expect(events.find((event) => event.type === "mfa.code_failed")?.details).toMatchObject({
      method: "totp",
      context: "sign_in",
    });
  });

  it("cookie transport: the second step sets the session cookie exactly as a cookie login does", async () => {
    const user = await createSignedInUser(t);
    const { secret } = await enrolTotp(t, user.headers);
    const challenge = await loginForMfa(t, user.email, { transport: "cookie", rememberMe: true });
    nextStep(clock);
    const done = await completeMfa(t, { mfaToken: challenge.mfaToken, code: currentCode(t, secret) });
    expect(done.statusCode, done.body).toBe(200);
    const body = done.json<{ user: { id: string }; session: { id: string; expiresAt: string } }>();
    expect(body).not.toHaveProperty("accessToken");
    expect(body.user.id).toBe(user.user.id);
    const cookie = setCookie(done, "pc_session");
    expect(cookie.attributes).toMatchObject({ httponly: "", samesite: "Lax", path: "/" });
    expect(Number(cookie.attributes["max-age"])).toBe(30 * 24 * 3600); // rememberMe from the login
    const signedIn = await t.get("/v1/me", { cookie: `pc_session=${cookie.value}` });
    expect(signedIn.statusCode).toBe(200);
    const sessions = await t.get("/v1/sessions", { cookie: `pc_session=${cookie.value}` });
    expect(
      sessions.json<{ sessions: { id: string; transport: string; amr: string[] }[] }>().sessions,
    ).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: body.session.id, transport: "cookie", amr: ["pwd", "otp", "mfa"] }),
      ]),
    );
  });

  it("an mfaToken lives five minutes", async () => {
    const user = await createSignedInUser(t);
    const { secret } = await enrolTotp(t, user.headers);
    const { mfaToken } = await loginForMfa(t, user.email);
    clock.advance(5 * MINUTE + 1);
    expectProblem(await completeMfa(t, { mfaToken, code: currentCode(t, secret) }), 401, "invalid_mfa_token");
  });

  it("an mfaToken is not an access token, and nothing else is an mfaToken", async () => {
    const user = await createSignedInUser(t);
    const { secret } = await enrolTotp(t, user.headers);
    const { mfaToken } = await loginForMfa(t, user.email);
    expectProblem(await t.get("/v1/me", bearer(mfaToken)), 401, "invalid_token");
    nextStep(clock);
    for (const forged of [user.accessToken, user.refreshToken, `${mfaToken}x`, "x".repeat(43)]) {
      expectProblem(
        await completeMfa(t, { mfaToken: forged, code: currentCode(t, secret) }),
        401,
        "invalid_mfa_token",
      );
    }
  });

  it("asks for exactly one factor, and nothing else", async () => {
    const user = await createSignedInUser(t);
    await enrolTotp(t, user.headers);
    const { mfaToken } = await loginForMfa(t, user.email);
    expectProblem(await completeMfa(t, { mfaToken }), 400, "validation_failed");
    expectProblem(
      await completeMfa(t, { mfaToken, code: "123456", backupCode: "x" }),
      400,
      "validation_failed",
    );
    expectProblem(await completeMfa(t, { mfaToken, code: "123456", userId: "x" }), 400, "validation_failed");
  });

  it("needs a recent sign-in to start a setup, and a session rather than an API key", async () => {
    const user = await createSignedInUser(t);
    clock.advance(11 * MINUTE);
    expectProblem(await t.post("/v1/mfa/totp/setup", {}, user.headers), 401, "reauthentication_required");
    expectProblem(await t.post("/v1/mfa/totp/setup", {}), 401, "unauthenticated");
  });
});
