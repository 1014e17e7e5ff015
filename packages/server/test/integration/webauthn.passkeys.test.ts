/**
 * Invariant: passkeys (WebAuthn) register, sign in on their own and serve as a second factor,
 * checked the way the specification asks — proven here with real attestation and assertion
 * objects from a software authenticator (ES256, "none" attestation, real authenticator data and
 * clientDataJSON; test/support/webauthn-authenticator.ts):
 * - registration needs a signed-in session with a recent authentication, answers the account's
 *   first backup codes with its first factor, and turns `mfaEnabled` on;
 * - a passkey alone signs in (discoverable credential, user verification required) with `amr`
 *   `["hwk"]`, answering like login for the transport asked for; after a password it is the
 *   second factor (`["pwd","hwk","mfa"]`);
 * - every challenge is single use, bound to what it was issued for, and lives five minutes;
 *   the origin and RP ID must be ours; a signature counter that does not grow is refused;
 * - removing a passkey needs step-up; removing the last factor turns `mfaEnabled` off.
 * (WebAuthn L2 §7, §13.4.3; ASVS 6.7.2; API.md "MFA".)
 */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdmin, createSignedInUser, type SignedIn, send } from "../support/accounts.js";
import { setCookie } from "../support/cookies.js";
import { claimsOf, completeMfa, loginForMfa } from "../support/mfa.js";
import { expectProblem } from "../support/problem-assertions.js";
import {
  createManualClock,
  createTestApp,
  PUBLIC_URL,
  STRONG_PASSWORD,
  type TestApp,
  type TokenResponseBody,
} from "../support/test-app.js";
import {
  type CreationOptions,
  createSoftwareAuthenticator,
  type RequestOptions,
  type SoftwareAuthenticator,
} from "../support/webauthn-authenticator.js";

const MINUTE = 60_000;

interface Passkey {
  id: string;
  name: string;
  deviceType: string;
  backedUp: boolean;
  transports: string[];
  createdAt: string;
  lastUsedAt: string | null;
}

describe("WebAuthn passkeys", () => {
  const clock = createManualClock(Date.now());
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ clock });
  });
  afterAll(() => t.close());

  const registrationOptions = async (user: SignedIn) => {
    const response = await t.post("/v1/webauthn/registration/options", {}, user.headers);
    expect(response.statusCode, response.body).toBe(200);
    return response.json<CreationOptions & Record<string, unknown>>();
  };
  const authenticationOptions = async (body: Record<string, unknown> = {}) => {
    const response = await t.post("/v1/webauthn/authentication/options", body);
    expect(response.statusCode, response.body).toBe(200);
    return response.json<RequestOptions & Record<string, unknown>>();
  };

  /** A user with one passkey on `authenticator`; answers the registration body. */
  async function withPasskey(authenticator: SoftwareAuthenticator, user?: SignedIn) {
    const owner = user ?? (await createSignedInUser(t));
    const options = await registrationOptions(owner);
    const response = await t.post(
      "/v1/webauthn/registration",
      { credential: authenticator.register(options), name: "Laptop" },
      owner.headers,
    );
    expect(response.statusCode, response.body).toBe(201);
    return { owner, registered: response.json<{ credential: Passkey; backupCodes?: string[] }>() };
  }

  const passkeySignIn = (credential: unknown, extra: Record<string, unknown> = {}) =>
    t.post("/v1/webauthn/authentication", { credential, ...extra });

  describe("registration", () => {
    it("answers creation options bound to our relying party, with a 256-bit challenge", async () => {
      const user = await createSignedInUser(t);
      const options = await registrationOptions(user);
      expect(options.rp).toEqual({ id: "portcullis.test", name: "Portcullis" });
      expect(options.user.name).toBe(user.email);
      expect(Buffer.from(options.challenge, "base64url")).toHaveLength(32);
      expect(options.attestation).toBe("none");
      expect(options.pubKeyCredParams).toEqual(expect.arrayContaining([{ alg: -7, type: "public-key" }]));
      expect((await registrationOptions(user)).challenge).not.toBe(options.challenge);
    });

    it("registers a passkey from a real attestation: the first one comes with backup codes and turns MFA on", async () => {
      const authenticator = createSoftwareAuthenticator({ origin: PUBLIC_URL });
      const { owner, registered } = await withPasskey(authenticator);
      expect(registered.credential).toMatchObject({
        name: "Laptop",
        deviceType: "singleDevice",
        backedUp: false,
        transports: ["internal"],
        lastUsedAt: null,
      });
      expect(registered.backupCodes).toHaveLength(10);
      const me = await t.get("/v1/me", owner.headers);
      expect(me.json<{ user: { mfaEnabled: boolean } }>().user.mfaEnabled).toBe(true);
      const status = (await t.get("/v1/mfa", owner.headers)).json<{ methods: string[]; passkeys: number }>();
      expect(status).toMatchObject({ methods: ["backup_code", "webauthn"], passkeys: 1 });

      // A second passkey: no new codes; the first is excluded so one authenticator is not counted twice.
      clock.advance(1_000);
      const second = createSoftwareAuthenticator({ origin: PUBLIC_URL, backedUp: true });
      const options = await registrationOptions(owner);
      expect(options.excludeCredentials?.map((credential) => credential.id)).toEqual([
        authenticator.credentials[0]?.id,
      ]);
      const again = await t.post(
        "/v1/webauthn/registration",
        { credential: second.register(options) },
        owner.headers,
      );
      expect(again.statusCode, again.body).toBe(201);
      const body = again.json<{ credential: Passkey; backupCodes?: string[] }>();
      expect(body.backupCodes).toBeUndefined();
      expect(body.credential).toMatchObject({ name: "Passkey", deviceType: "multiDevice", backedUp: true });
      const list = (await t.get("/v1/webauthn/credentials", owner.headers)).json<{
        credentials: Passkey[];
      }>();
      expect(list.credentials.map((credential) => credential.id)).toEqual([
        registered.credential.id,
        body.credential.id,
      ]);
      const events = (await t.get("/v1/me/events", owner.headers)).json<{ events: { type: string }[] }>()
        .events;
      expect(events.filter((event) => event.type === "webauthn.registered")).toHaveLength(2);
    });

    it("needs a recent sign-in for the options", async () => {
      const user = await createSignedInUser(t);
      clock.advance(11 * MINUTE);
      expectProblem(
        await t.post("/v1/webauthn/registration/options", {}, user.headers),
        401,
        "reauthentication_required",
      );
      expectProblem(await t.post("/v1/webauthn/registration/options", {}), 401, "unauthenticated");
    });

    it("refuses a response to a challenge issued to another session, another origin, or one already used", async () => {
      const user = await createSignedInUser(t);
      const other = await createSignedInUser(t);
      const authenticator = createSoftwareAuthenticator({ origin: PUBLIC_URL });

      const forOther = await registrationOptions(other);
      expectProblem(
        await t.post(
          "/v1/webauthn/registration",
          { credential: authenticator.register(forOther) },
          user.headers,
        ),
        400,
        "invalid_webauthn_response",
      );
      const phished = createSoftwareAuthenticator({ origin: "https://portcullis.test.evil.example" });
      expectProblem(
        await t.post(
          "/v1/webauthn/registration",
          { credential: phished.register(await registrationOptions(user)) },
          user.headers,
        ),
        400,
        "invalid_webauthn_response",
      );
      const options = await registrationOptions(user);
      const credential = authenticator.register(options);
      expect((await t.post("/v1/webauthn/registration", { credential }, user.headers)).statusCode).toBe(201);
      expectProblem(
        await t.post("/v1/webauthn/registration", { credential }, user.headers),
        400,
        "invalid_webauthn_response",
      );
    });

    it("lets a registration challenge expire after five minutes", async () => {
      const user = await createSignedInUser(t);
      const options = await registrationOptions(user);
      clock.advance(5 * MINUTE + 1);
      const credential = createSoftwareAuthenticator({ origin: PUBLIC_URL }).register(options);
      expectProblem(
        await t.post("/v1/webauthn/registration", { credential }, user.headers),
        400,
        "invalid_webauthn_response",
      );
    });
  });

  describe("signing in with a passkey alone", () => {
    it("signs in from a discoverable credential with amr hwk, and records the counter", async () => {
      const authenticator = createSoftwareAuthenticator({ origin: PUBLIC_URL });
      const { owner } = await withPasskey(authenticator);
      const options = await authenticationOptions();
      expect(options.allowCredentials ?? []).toEqual([]);
      expect(options.userVerification).toBe("required");
      expect(options.rpId).toBe("portcullis.test");

      const response = await passkeySignIn(authenticator.assert(options));
      expect(response.statusCode, response.body).toBe(200);
      const tokens = response.json<TokenResponseBody>();
      expect(tokens.user.id).toBe(owner.user.id);
      expect(claimsOf(tokens.accessToken).amr).toEqual(["hwk"]);
      expect(setCookie(response, "pc_refresh").value).toBe(tokens.refreshToken);
      const [passkey] = (await t.get("/v1/webauthn/credentials", owner.headers)).json<{
        credentials: Passkey[];
      }>().credentials;
      expect(passkey?.lastUsedAt).toEqual(expect.any(String));
      const row = await t.database.db
        .selectFrom("webauthn_credentials")
        .select("counter")
        .where("user_id", "=", owner.user.id)
        .executeTakeFirstOrThrow();
      expect(Number(row.counter)).toBe(authenticator.credentials[0]?.counter);
    });

    it("answers with the session cookie for transport cookie", async () => {
      const authenticator = createSoftwareAuthenticator({ origin: PUBLIC_URL });
      const { owner } = await withPasskey(authenticator);
      const response = await passkeySignIn(authenticator.assert(await authenticationOptions()), {
        transport: "cookie",
      });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json<{ user: { id: string } }>().user.id).toBe(owner.user.id);
      const cookie = setCookie(response, "pc_session");
      expect((await t.get("/v1/me", { cookie: `pc_session=${cookie.value}` })).statusCode).toBe(200);
    });

    it("refuses a replayed assertion: the challenge is single use", async () => {
      const authenticator = createSoftwareAuthenticator({ origin: PUBLIC_URL, counter: "zero" });
      await withPasskey(authenticator);
      const assertion = authenticator.assert(await authenticationOptions());
      expect((await passkeySignIn(assertion)).statusCode).toBe(200);
      expectProblem(await passkeySignIn(assertion), 401, "invalid_webauthn_response");
    });

    it("refuses a signature counter that does not grow (a cloned key)", async () => {
      const authenticator = createSoftwareAuthenticator({ origin: PUBLIC_URL });
      const { owner } = await withPasskey(authenticator);
      expect(
        (await passkeySignIn(authenticator.assert(await authenticationOptions(), { counter: 7 }))).statusCode,
      ).toBe(200);
      expectProblem(
        await passkeySignIn(authenticator.assert(await authenticationOptions(), { counter: 7 })),
        401,
        "invalid_webauthn_response",
      );
      expectProblem(
        await passkeySignIn(authenticator.assert(await authenticationOptions(), { counter: 3 })),
        401,
        "invalid_webauthn_response",
      );
      expect(
        (await passkeySignIn(authenticator.assert(await authenticationOptions(), { counter: 8 }))).statusCode,
      ).toBe(200);
      const events = (await t.get("/v1/me/events", owner.headers)).json<{
        events: { type: string; details: Record<string, unknown> }[];
      }>().events;
      expect(events.find((event) => event.type === "login.failed")?.details).toMatchObject({
        reason: "passkey_counter_not_increased",
      });
    });

    it("refuses another origin, a missing user verification, an expired challenge and an unknown credential", async () => {
      const authenticator = createSoftwareAuthenticator({ origin: PUBLIC_URL });
      await withPasskey(authenticator);
      expectProblem(
        await passkeySignIn(
          authenticator.assert(await authenticationOptions(), { origin: "https://evil.example" }),
        ),
        401,
        "invalid_webauthn_response",
      );
      expectProblem(
        await passkeySignIn(authenticator.assert(await authenticationOptions(), { userVerification: false })),
        401,
        "invalid_webauthn_response",
      );
      const options = await authenticationOptions();
      clock.advance(5 * MINUTE + 1);
      expectProblem(await passkeySignIn(authenticator.assert(options)), 401, "invalid_webauthn_response");

      const stranger = createSoftwareAuthenticator({ origin: PUBLIC_URL });
      stranger.register({
        challenge: "AAAA",
        rp: { id: "portcullis.test", name: "x" },
        user: { id: "eA", name: "x" },
      });
      expectProblem(
        await passkeySignIn(stranger.assert(await authenticationOptions())),
        401,
        "invalid_webauthn_response",
      );
    });

    it("refuses a disabled account, but only after the passkey proved itself", async () => {
      const admin = await createAdmin(t);
      const authenticator = createSoftwareAuthenticator({ origin: PUBLIC_URL });
      const { owner } = await withPasskey(authenticator);
      const disabled = await send(t, "PATCH", `/v1/admin/users/${owner.user.id}`, admin.headers, {
        disabled: true,
      });
      expect(disabled.statusCode, disabled.body).toBe(200);
      expectProblem(
        await passkeySignIn(authenticator.assert(await authenticationOptions())),
        403,
        "account_disabled",
      );
    });
  });

  describe("a passkey as the second factor", () => {
    it("a password login of a passkey user asks for it, and an assertion finishes with amr pwd hwk mfa", async () => {
      // Presence alone is enough as a second factor.
      const authenticator = createSoftwareAuthenticator({ origin: PUBLIC_URL, userVerification: false });
      const { owner } = await withPasskey(authenticator);
      const challenge = await loginForMfa(t, owner.email);
      expect(challenge.methods).toEqual(["backup_code", "webauthn"]);

      const options = await authenticationOptions({ mfaToken: challenge.mfaToken });
      expect(options.allowCredentials?.map((credential) => credential.id)).toEqual([
        authenticator.credentials[0]?.id,
      ]);
      const done = await completeMfa(t, {
        mfaToken: challenge.mfaToken,
        webauthn: authenticator.assert(options),
      });
      expect(done.statusCode, done.body).toBe(200);
      expect(claimsOf(done.json<TokenResponseBody>().accessToken).amr).toEqual(["pwd", "hwk", "mfa"]);
    });

    it("refuses another account's passkey, and a challenge issued for another sign-in", async () => {
      const mine = createSoftwareAuthenticator({ origin: PUBLIC_URL });
      const theirs = createSoftwareAuthenticator({ origin: PUBLIC_URL });
      const { owner } = await withPasskey(mine);
      await withPasskey(theirs);

      const challenge = await loginForMfa(t, owner.email);
      const options = await authenticationOptions({ mfaToken: challenge.mfaToken });
      expectProblem(
        await completeMfa(t, {
          mfaToken: challenge.mfaToken,
          webauthn: theirs.assert({ ...options, allowCredentials: [] }),
        }),
        401,
        "invalid_mfa_code",
      );

      const otherSignIn = await loginForMfa(t, owner.email);
      const otherOptions = await authenticationOptions({ mfaToken: otherSignIn.mfaToken });
      expectProblem(
        await completeMfa(t, { mfaToken: challenge.mfaToken, webauthn: mine.assert(otherOptions) }),
        401,
        "invalid_mfa_code",
      );
      // A sign-in challenge (no mfaToken) is not one for a second factor either.
      expectProblem(
        await completeMfa(t, {
          mfaToken: challenge.mfaToken,
          webauthn: mine.assert(await authenticationOptions()),
        }),
        401,
        "invalid_mfa_code",
      );
      const events = (await t.get("/v1/me/events", owner.headers)).json<{
        events: { type: string; details: Record<string, unknown> }[];
      }>().events;
      expect(
        events.filter((event) => event.type === "mfa.code_failed").map((event) => event.details.method),
      ).toEqual(["webauthn", "webauthn", "webauthn"]);
    });

    it("options for an unknown mfaToken answer invalid_mfa_token", async () => {
      expectProblem(
        await t.post("/v1/webauthn/authentication/options", { mfaToken: "x".repeat(43) }),
        401,
        "invalid_mfa_token",
      );
    });
  });

  describe("removing passkeys", () => {
    it("needs step-up, is 404 for another user's, and removing the last factor turns MFA off", async () => {
      const authenticator = createSoftwareAuthenticator({ origin: PUBLIC_URL });
      const { owner, registered } = await withPasskey(authenticator);
      const stranger = await createSignedInUser(t);
      const url = `/v1/webauthn/credentials/${registered.credential.id}`;

      expectProblem(await send(t, "DELETE", url, stranger.headers), 404, "not_found");
      clock.advance(11 * MINUTE);
      expectProblem(await send(t, "DELETE", url, owner.headers), 401, "reauthentication_required");
      const renewed = await t.post("/v1/auth/reauthenticate", { password: STRONG_PASSWORD }, owner.headers);
      const headers = { authorization: `Bearer ${renewed.json<TokenResponseBody>().accessToken}` };
      expect((await send(t, "DELETE", url, headers)).statusCode).toBe(204);
      expectProblem(await send(t, "DELETE", url, headers), 404, "not_found");

      expect((await t.get("/v1/me", headers)).json<{ user: { mfaEnabled: boolean } }>().user.mfaEnabled).toBe(
        false,
      );
      const login = await t.post("/v1/auth/login", { email: owner.email, password: STRONG_PASSWORD });
      expect(claimsOf(login.json<TokenResponseBody>().accessToken).amr).toEqual(["pwd"]);
      expectProblem(
        await passkeySignIn(authenticator.assert(await authenticationOptions())),
        401,
        "invalid_webauthn_response",
      );
      const events = (await t.get("/v1/me/events", headers)).json<{
        events: { type: string; details: Record<string, unknown> }[];
      }>().events;
      expect(events.find((event) => event.type === "webauthn.removed")?.details).toMatchObject({
        credentialId: registered.credential.id,
        mfaEnabled: false,
      });
    });

    it("refuses to remove the last way to sign in of an account without a password", async () => {
      const authenticator = createSoftwareAuthenticator({ origin: PUBLIC_URL });
      const { owner, registered } = await withPasskey(authenticator);
      const second = await withPasskey(createSoftwareAuthenticator({ origin: PUBLIC_URL }), owner);
      // As an account made by social login whose identity was unlinked once it had passkeys.
      await sql`update users set password_hash = null where id = ${owner.user.id}`.execute(t.database.db);

      const remove = (id: string) => send(t, "DELETE", `/v1/webauthn/credentials/${id}`, owner.headers);
      expect((await remove(registered.credential.id)).statusCode).toBe(204);
      expectProblem(await remove(second.registered.credential.id), 409, "last_sign_in_method");
      const left = (await t.get("/v1/webauthn/credentials", owner.headers)).json<{
        credentials: Passkey[];
      }>();
      expect(left.credentials.map((passkey) => passkey.id)).toEqual([second.registered.credential.id]);
    });
  });
});
