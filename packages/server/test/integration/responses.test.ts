/**
 * Invariant: what the server says is exactly what the contract says, and no more. Responses that
 * carry tokens send `Cache-Control: no-store`; the token response has exactly the contract's
 * fields; access tokens are RFC 9068 JWTs (ES256, `typ: at+jwt`, a `kid` published in the JWKS,
 * the claims iss, aud, sub, iat, exp, jti, sid, roles, amr, auth_time) that an independent
 * verifier (`jose`) accepts with nothing but the JWKS; the JWKS publishes public members only;
 * unknown routes are 404 `not_found` problems (API.md "Token response", "Access token",
 * "Discovery and operations").
 */
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "../support/problem-assertions.js";
import {
  bearer,
  createTestApp,
  PUBLIC_URL,
  STRONG_PASSWORD,
  type TestApp,
  type TokenResponseBody,
  uniqueEmail,
} from "../support/test-app.js";

const TOKEN_RESPONSE_FIELDS = [
  "accessToken",
  "expiresIn",
  "refreshExpiresIn",
  "refreshToken",
  "tokenType",
  "user",
];
const USER_FIELDS = ["createdAt", "email", "emailVerified", "id", "mfaEnabled", "name", "roles"];
/** Private members of RFC 7518 §6 keys: EC/OKP `d`, RSA `d p q dp dq qi oth`, symmetric `k`. */
const PRIVATE_JWK_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

describe("responses", () => {
  let t: TestApp;
  let email: string;

  beforeAll(async () => {
    t = await createTestApp();
    email = uniqueEmail();
    await t.signUp(email);
  });
  afterAll(() => t.close());

  const login = () => t.post("/v1/auth/login", { email, password: STRONG_PASSWORD });
  const jwks = async () => (await t.get("/.well-known/jwks.json")).json<JSONWebKeySet>();

  describe("token responses", () => {
    it("sends Cache-Control: no-store with the login's token response", async () => {
      const response = await login();
      expect(response.statusCode).toBe(200);
      expect(response.headers["cache-control"]).toMatch(/\bno-store\b/);
    });

    it("sends Cache-Control: no-store with the refresh's token response", async () => {
      const { refreshToken } = (await login()).json<TokenResponseBody>();
      const response = await t.post("/v1/auth/refresh", { refreshToken });
      expect(response.statusCode).toBe(200);
      expect(response.headers["cache-control"]).toMatch(/\bno-store\b/);
    });

    it("has exactly the contract's fields, with the contract's types", async () => {
      const body = (await login()).json<Record<string, unknown>>();
      expect(Object.keys(body).sort()).toEqual(TOKEN_RESPONSE_FIELDS);
      expect(body).toMatchObject({
        tokenType: "Bearer",
        accessToken: expect.any(String),
        expiresIn: expect.any(Number),
        refreshToken: expect.any(String),
        refreshExpiresIn: expect.any(Number),
      });
      expect(Number.isInteger(body.expiresIn)).toBe(true);
      expect(Number.isInteger(body.refreshExpiresIn)).toBe(true);
      const user = body.user as Record<string, unknown>;
      expect(Object.keys(user).sort()).toEqual(USER_FIELDS);
      expect(user).toMatchObject({
        id: expect.any(String),
        email,
        emailVerified: false,
        name: null,
        roles: ["user"],
        mfaEnabled: false,
      });
      expect(new Date(String(user.createdAt)).toISOString()).toBe(user.createdAt);
    });

    it("reports expiresIn as the access token's lifetime", async () => {
      const body = (await login()).json<TokenResponseBody>();
      const claims = decodeJwt(body.accessToken);
      expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(body.expiresIn);
    });

    it("never serialises a password hash or a password in any user object", async () => {
      const bodies = [
        (await login()).body,
        (await t.get("/v1/me", bearer((await login()).json<TokenResponseBody>().accessToken))).body,
        (await t.post("/v1/auth/register", { email: uniqueEmail(), password: STRONG_PASSWORD })).body,
      ];
      for (const text of bodies) {
        expect(text).not.toMatch(/argon2|passwordHash|password_hash/i);
        expect(text).not.toContain(STRONG_PASSWORD);
      }
    });
  });

  describe("access tokens", () => {
    it("carry header alg ES256, typ at+jwt and a kid that the JWKS publishes", async () => {
      const { accessToken } = (await login()).json<TokenResponseBody>();
      const header = decodeProtectedHeader(accessToken);
      expect(header.alg).toBe("ES256");
      expect(header.typ).toBe("at+jwt");
      expect(header.kid).toEqual(expect.any(String));
      expect((await jwks()).keys.map((key) => key.kid)).toContain(header.kid);
    });

    it("carry the claims iss, aud, sub, iat, exp, jti, sid, roles, amr and auth_time", async () => {
      const body = (await login()).json<TokenResponseBody>();
      const claims = decodeJwt(body.accessToken);
      const now = Math.floor(Date.now() / 1000);
      expect(claims).toMatchObject({
        iss: PUBLIC_URL,
        aud: t.config.audience,
        sub: body.user.id,
        jti: expect.any(String),
        sid: expect.any(String),
        roles: ["user"],
        amr: ["pwd"],
      });
      expect(claims.iat).toBeGreaterThanOrEqual(now - 60);
      expect(claims.iat).toBeLessThanOrEqual(now + 5);
      expect(claims.exp).toBeGreaterThan(claims.iat ?? Number.POSITIVE_INFINITY);
      expect(claims.auth_time).toEqual(expect.any(Number));
      expect(claims.auth_time).toBeLessThanOrEqual(claims.iat ?? 0);
    });

    it("carry a new jti in every token, and one sid per session", async () => {
      const first = (await login()).json<TokenResponseBody>();
      const second = (await login()).json<TokenResponseBody>();
      const refreshed = (
        await t.post("/v1/auth/refresh", { refreshToken: first.refreshToken })
      ).json<TokenResponseBody>();
      const [a, b, c] = [first, second, refreshed].map((body) => decodeJwt(body.accessToken));
      expect(new Set([a?.jti, b?.jti, c?.jti]).size).toBe(3);
      expect(a?.sid).not.toBe(b?.sid);
      expect(c?.sid).toBe(a?.sid);
    });

    it("verify with jose against the JWKS alone", async () => {
      const { accessToken, user } = (await login()).json<TokenResponseBody>();
      const { payload, protectedHeader } = await jwtVerify(accessToken, createLocalJWKSet(await jwks()), {
        issuer: PUBLIC_URL,
        audience: t.config.audience,
        algorithms: ["ES256"],
        typ: "at+jwt",
        requiredClaims: ["iss", "aud", "sub", "iat", "exp", "jti"],
      });
      expect(payload.sub).toBe(user.id);
      expect(protectedHeader.alg).toBe("ES256");
    });
  });

  describe("discovery", () => {
    it("publishes only public key members in the JWKS, each with kid, alg and use", async () => {
      const response = await t.get("/.well-known/jwks.json");
      expect(response.statusCode).toBe(200);
      const { keys } = response.json<JSONWebKeySet>();
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        for (const member of PRIVATE_JWK_MEMBERS) expect(key).not.toHaveProperty(member);
        expect(key).toMatchObject({
          kid: expect.any(String),
          alg: "ES256",
          use: "sig",
          kty: "EC",
          crv: "P-256",
        });
      }
    });

    it("names the issuer and the JWKS in the authorization server metadata", async () => {
      const response = await t.get("/.well-known/oauth-authorization-server");
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({
        issuer: PUBLIC_URL,
        jwks_uri: `${PUBLIC_URL}/.well-known/jwks.json`,
      });
    });
  });

  describe("unknown routes", () => {
    it.each([
      ["GET", "/v1/no-such-route"],
      ["POST", "/v1/auth/no-such-route"],
      ["GET", "/v1/auth/login/extra"],
      ["DELETE", "/v1/nothing-here"],
    ] as const)("answers %s %s with a 404 not_found problem", async (method, url) => {
      const response = await t.app.inject({ method, url });
      expectProblem(response, 404, "not_found");
    });
  });
});
