/**
 * Invariant: GET /v1/me accepts exactly the access tokens the server issued, unexpired, for its
 * own issuer and audience, typed `at+jwt`, signed with the configured algorithm by a key in its
 * JWKS, and naming a session. Everything else — no `none` in any spelling, no HMAC keyed with the
 * public key in any serialisation, no key embedded in the token, no JWE, no oversized header, no
 * refresh token, no claim out of place — is 401 `invalid_token` with an RFC 6750 challenge; no
 * credentials at all is 401 `unauthenticated` (API.md "Access token"; security.md §2.1).
 * Forged tokens are built with `jose`, an implementation independent of the server's.
 */
import { createHmac, createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from "node:crypto";
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptSecretValue, deriveKeyEncryptionKey } from "../../src/domain/tokens/key-encryption.js";
import { expectProblem } from "../support/problem-assertions.js";
import {
  bearer,
  createManualClock,
  createTestApp,
  TEST_SECRET,
  type TestApp,
  type TokenResponseBody,
} from "../support/test-app.js";

const b64url = (value: string | Buffer | object): string =>
  Buffer.isBuffer(value)
    ? value.toString("base64url")
    : Buffer.from(typeof value === "string" ? value : JSON.stringify(value), "utf8").toString("base64url");

/** A compact JWS from parts, with no checking at all. */
const compact = (header: object, payload: object, signature: Buffer | string = "") =>
  `${b64url(header)}.${b64url(payload)}.${typeof signature === "string" ? signature : b64url(signature)}`;

/** The server's current signing key, opened from its sealed row as an operator could. */
async function serverSigningKey(t: TestApp): Promise<{ kid: string; privateKey: KeyObject }> {
  const row = await t.database.db
    .selectFrom("signing_keys")
    .selectAll()
    .where("retired_at", "is", null)
    .executeTakeFirstOrThrow();
  const der = decryptSecretValue(deriveKeyEncryptionKey(TEST_SECRET), row.private_key_sealed);
  return { kid: row.kid, privateKey: createPrivateKey({ key: der, format: "der", type: "pkcs8" }) };
}

async function expectRejected(t: TestApp, token: string) {
  const response = await t.get("/v1/me", bearer(token));
  expectProblem(response, 401, "invalid_token");
  expect(response.headers["www-authenticate"]).toMatch(/^Bearer\b.*error="invalid_token"/);
  return response;
}

describe("access-token validation", () => {
  const clock = createManualClock(Date.now());
  let t: TestApp;
  let session: TokenResponseBody;
  let kid: string;
  let privateKey: KeyObject;
  let claims: JWTPayload;
  let jwk: JsonWebKey;
  let jti = 0;

  /** The claims of a real access token, with a fresh `jti` and the given changes (undefined deletes). */
  function claimsWith(changes: Record<string, unknown> = {}): JWTPayload {
    const result: Record<string, unknown> = { ...claims, jti: `forged-${++jti}` };
    for (const [name, value] of Object.entries(changes)) {
      if (value === undefined) delete result[name];
      else result[name] = value;
    }
    return result;
  }

  /** Signs with the server's own private key, as only the server could. */
  const signWithServerKey = (payload: JWTPayload, header: Record<string, unknown> = {}) =>
    new SignJWT(payload).setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid, ...header }).sign(privateKey);

  beforeAll(async () => {
    t = await createTestApp({ clock });
    session = await t.signUp();
    ({ kid, privateKey } = await serverSigningKey(t));
    claims = decodeJwt(session.accessToken);
    const jwks = (await t.get("/.well-known/jwks.json")).json<{ keys: JsonWebKey[] }>();
    const published = jwks.keys.find((key) => key.kid === kid);
    if (published === undefined) throw new Error("the current key is not in the JWKS");
    jwk = published;
  });
  afterAll(() => t.close());

  describe("well-formed requests", () => {
    it("accepts the access token the server issued", async () => {
      const response = await t.get("/v1/me", bearer(session.accessToken));
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json<{ user: { id: string } }>().user.id).toBe(session.user.id);
    });

    it("accepts a token that jose signed with the server's key and the server's claims", async () => {
      // The control for every forgery below that uses the real key: only the spoiled part differs.
      const response = await t.get("/v1/me", bearer(await signWithServerKey(claimsWith())));
      expect(response.statusCode, response.body).toBe(200);
    });

    it("answers a request without credentials with 401 unauthenticated and a bare Bearer challenge", async () => {
      const response = await t.get("/v1/me");
      expectProblem(response, 401, "unauthenticated");
      const challenge = response.headers["www-authenticate"];
      expect(challenge).toMatch(/^Bearer\b/);
      // RFC 6750 §3.1: no error code when the request carried no authentication at all.
      expect(challenge).not.toMatch(/error=/);
    });
  });

  describe("malformed Authorization headers", () => {
    it.each([
      ["a word that is no token", "Bearer garbage"],
      ["three dots of nothing", "Bearer a.b.c"],
      ["a Basic credential", `Basic ${Buffer.from("alice@example.com:password").toString("base64")}`],
      ["an empty bearer", "Bearer "],
      ["the scheme alone", "Bearer"],
      ["a token without a scheme", "TOKEN_PLACEHOLDER"],
      ["two tokens", "Bearer TOKEN_PLACEHOLDER TOKEN_PLACEHOLDER"],
      ["a token followed by junk", "Bearer TOKEN_PLACEHOLDER,junk"],
    ])("refuses %s with 401 invalid_token", async (_name, template) => {
      const response = await t.app.inject({
        method: "GET",
        url: "/v1/me",
        headers: { authorization: template.replaceAll("TOKEN_PLACEHOLDER", session.accessToken) },
      });
      expectProblem(response, 401, "invalid_token");
      expect(response.headers["www-authenticate"]).toMatch(/^Bearer\b.*error="invalid_token"/);
    });

    it("refuses a token whose signature was altered", async () => {
      const [header, payload, signature = ""] = session.accessToken.split(".");
      const middle = Math.floor(signature.length / 2);
      const flipped = signature[middle] === "A" ? "B" : "A";
      await expectRejected(
        t,
        `${header}.${payload}.${signature.slice(0, middle)}${flipped}${signature.slice(middle + 1)}`,
      );
    });

    it("refuses a token whose payload was altered", async () => {
      const [header, , signature] = session.accessToken.split(".");
      await expectRejected(t, `${header}.${b64url(claimsWith({ roles: ["admin"] }))}.${signature}`);
    });
  });

  describe("algorithm confusion", () => {
    it.each(["none", "None", "NONE", "nOnE"])("refuses a valid token re-encoded with alg %s", async (alg) => {
      const header = { ...decodeProtectedHeader(session.accessToken), alg };
      const [, payload, signature] = session.accessToken.split(".");
      await expectRejected(t, `${b64url(header)}.${payload}.`);
      await expectRejected(t, `${b64url(header)}.${payload}.${signature}`);
      await expectRejected(t, compact({ alg, typ: "at+jwt" }, claimsWith()));
    });

    /** Every way a verifier might be tricked into using the public key as an HMAC secret. */
    function publicKeySerialisations(): Array<[string, Buffer]> {
      const publicKey = createPublicKey({ key: jwk, format: "jwk" });
      const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
      const x = Buffer.from(jwk.x ?? "", "base64url");
      const y = Buffer.from(jwk.y ?? "", "base64url");
      return [
        ["the JWK as published", Buffer.from(JSON.stringify(jwk))],
        [
          "the JWK's required members",
          Buffer.from(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })),
        ],
        ["the PEM SPKI", Buffer.from(pem)],
        ["the PEM SPKI without its final newline", Buffer.from(pem.trimEnd())],
        ["the DER SPKI", publicKey.export({ type: "spki", format: "der" })],
        ["the x coordinate as text", Buffer.from(jwk.x ?? "")],
        ["the x coordinate as bytes", x],
        ["the uncompressed point", Buffer.concat([Buffer.from([4]), x, y])],
      ];
    }

    it("refuses HS256 tokens keyed with every serialisation of the JWKS public key", async () => {
      const serialisations = publicKeySerialisations();
      expect(serialisations.every(([, key]) => key.length > 0)).toBe(true);
      for (const [name, secret] of serialisations) {
        for (const header of [{ kid }, {}]) {
          const token = await new SignJWT(claimsWith())
            .setProtectedHeader({ alg: "HS256", typ: "at+jwt", ...header })
            .sign(new Uint8Array(secret));
          const response = await t.get("/v1/me", bearer(token));
          expect({ name, header, status: response.statusCode }).toEqual({ name, header, status: 401 });
          expectProblem(response, 401, "invalid_token");
        }
      }
    });

    it("refuses HS256 signed with an empty secret under an unknown kid", async () => {
      const header = { alg: "HS256", typ: "at+jwt", kid: "no-such-key" };
      const signingInput = `${b64url(header)}.${b64url(claimsWith())}`;
      const mac = createHmac("sha256", Buffer.alloc(0)).update(signingInput).digest();
      await expectRejected(t, `${signingInput}.${b64url(mac)}`);
    });

    it("refuses an ES256 signature of all zero bytes", async () => {
      const header = { alg: "ES256", typ: "at+jwt", kid };
      await expectRejected(t, compact(header, claimsWith(), Buffer.alloc(64)));
      await expectRejected(t, compact(header, claimsWith(), "MAYCAQACAQA"));
    });
  });

  describe("claims and header of a token signed with the server's real key", () => {
    it.each([
      ["a wrong aud", { aud: "https://other-service.example" }, {}],
      ["an aud list without ours", { aud: ["https://a.example", "https://b.example"] }, {}],
      ["a wrong iss", { iss: "https://evil.example" }, {}],
      ["no sid", { sid: undefined }, {}],
      ["an empty sid", { sid: "" }, {}],
      ["no exp", { exp: undefined }, {}],
      ["an nbf in the future", { nbf: Math.floor(Date.now() / 1000) + 3600 }, {}],
      ["typ JWT", {}, { typ: "JWT" }],
      ["no typ", {}, { typ: undefined }],
      ["an unknown kid", {}, { kid: "no-such-key" }],
    ])("refuses a token signed with the real key but with %s", async (_name, claimChanges, headerChanges) => {
      const header: Record<string, unknown> = { alg: "ES256", typ: "at+jwt", kid, ...headerChanges };
      for (const [name, value] of Object.entries(headerChanges)) if (value === undefined) delete header[name];
      const token = await new SignJWT(claimsWith(claimChanges))
        .setProtectedHeader(header as { alg: string })
        .sign(privateKey);
      await expectRejected(t, token);
    });
  });

  describe("keys and shapes the token must not choose", () => {
    it("refuses a token signed with the attacker's key that embeds its JWK in the header", async () => {
      const attacker = await generateKeyPair("ES256", { extractable: true });
      const attackerJwk = await exportJWK(attacker.publicKey);
      for (const header of [{ kid }, {}]) {
        const token = await new SignJWT(claimsWith())
          .setProtectedHeader({ alg: "ES256", typ: "at+jwt", jwk: attackerJwk, ...header })
          .sign(attacker.privateKey);
        await expectRejected(t, token);
      }
    });

    it("refuses a token signed with the attacker's key that points at the attacker's JWKS", async () => {
      const attacker = await generateKeyPair("ES256");
      for (const header of [
        { jku: "http://127.0.0.1:9/jwks.json" },
        { x5u: "http://127.0.0.1:9/cert.pem" },
      ]) {
        const token = await new SignJWT(claimsWith())
          .setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: "attacker", ...header })
          .sign(attacker.privateKey);
        await expectRejected(t, token);
      }
    });

    it("refuses a JWE-shaped five-part token quickly", async () => {
      const jweHeaders = [
        { alg: "RSA-OAEP-256", enc: "A256GCM", kid },
        { alg: "PBES2-HS512+A256KW", enc: "A256GCM", p2c: 2_147_483_647, p2s: b64url("salt-salt-salt") },
        { alg: "dir", enc: "A128CBC-HS256" },
      ];
      for (const header of jweHeaders) {
        const started = Date.now();
        await expectRejected(
          t,
          `${b64url(header)}.${b64url("cek")}.${b64url("iv")}.${b64url("ct")}.${b64url("tag")}`,
        );
        expect(Date.now() - started).toBeLessThan(1000);
      }
    });

    it("refuses a token with an 8 KB header quickly, and goes on serving", async () => {
      const header = { alg: "ES256", typ: "at+jwt", kid, pad: "x".repeat(8 * 1024) };
      const started = Date.now();
      await expectRejected(t, compact(header, claimsWith(), Buffer.alloc(64, 1)));
      expect(Date.now() - started).toBeLessThan(1000);
      expect((await t.get("/v1/me", bearer(session.accessToken))).statusCode).toBe(200);
    });

    it("refuses the refresh token presented as an access token", async () => {
      await expectRejected(t, session.refreshToken);
    });
  });
});

describe("access-token expiry", () => {
  const clock = createManualClock(Date.now());
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ clock });
  });
  afterAll(() => t.close());

  it("refuses a token, issued or signed with the real key, once the clock passes its exp", async () => {
    const session = await t.signUp();
    const { kid, privateKey } = await serverSigningKey(t);
    const claims = decodeJwt(session.accessToken);
    const signed = await new SignJWT({ ...claims, jti: "expiring" })
      .setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid })
      .sign(privateKey);
    // Both work now, and the server has had a chance to cache them as verified.
    expect((await t.get("/v1/me", bearer(session.accessToken))).statusCode).toBe(200);
    expect((await t.get("/v1/me", bearer(signed))).statusCode).toBe(200);

    clock.set((claims.exp ?? 0) * 1000 + 1000);
    await expectRejected(t, session.accessToken);
    await expectRejected(t, signed);
  });
});
