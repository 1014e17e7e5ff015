import {
  createLocalJWKSet,
  decodeProtectedHeader,
  type JSONWebKeySet,
  type JWTVerifyResult,
  jwtVerify,
  SignJWT,
} from "jose";
import { describe, expect, it } from "vitest";
import { createManualClock } from "../clock.js";
import {
  type AccessTokenClaims,
  createAccessTokenIssuer,
  createAccessTokenVerifier,
} from "./access-token.js";
import {
  ALGORITHMS,
  AUDIENCE,
  ISSUE_INPUT,
  ISSUER,
  KEK,
  secretOf,
  setUp,
  signCompact,
  TTL_SECONDS,
} from "./access-token.test-support.js";
import { createKeyRing } from "./key-ring.js";
import { generateSigningKey, type SigningAlgorithm } from "./signing-key.js";

type Context = ReturnType<typeof setUp>;

/** jose as the oracle: the resource-server view of our tokens. */
function joseVerify(ctx: Context, alg: SigningAlgorithm, token: string): Promise<JWTVerifyResult> {
  const options = {
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: [alg],
    typ: "at+jwt",
    currentDate: new Date(ctx.clock.now()),
  };
  if (alg === "HS256") return jwtVerify(token, new Uint8Array(secretOf(ctx.stored)), options);
  return jwtVerify(token, createLocalJWKSet(ctx.keyRing.jwks() as JSONWebKeySet), options);
}

function joseSign(ctx: Context, alg: SigningAlgorithm, claims: Record<string, unknown>): Promise<string> {
  const key = alg === "HS256" ? new Uint8Array(secretOf(ctx.stored)) : ctx.signingKey;
  return new SignJWT(claims).setProtectedHeader({ alg, typ: "at+jwt", kid: ctx.stored.kid }).sign(key);
}

describe.each(ALGORITHMS)("access tokens with %s", (alg) => {
  const ctx = setUp(alg);

  it("verifies the tokens it issues and returns their claims", () => {
    const { token, claims, expiresIn } = ctx.issuer.issue({ ...ISSUE_INPUT, scope: "read write" });
    expect(expiresIn).toBe(TTL_SECONDS);
    const iat = Math.floor(ctx.clock.now() / 1000);
    expect(claims).toEqual({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: ISSUE_INPUT.userId,
      iat,
      exp: iat + TTL_SECONDS,
      jti: claims.jti,
      sid: ISSUE_INPUT.sessionId,
      roles: ISSUE_INPUT.roles,
      amr: ISSUE_INPUT.amr,
      auth_time: ISSUE_INPUT.authTime,
      scope: "read write",
    } satisfies AccessTokenClaims);
    expect(ctx.verifier.verify(token)).toEqual(claims);
  });

  it("leaves scope out when none is given", () => {
    const { token, claims } = ctx.issuer.issue(ISSUE_INPUT);
    expect(claims).not.toHaveProperty("scope");
    expect(ctx.verifier.verify(token)).not.toHaveProperty("scope");
  });

  it("keeps an empty scope, as a session whose roles grant nothing gets it", () => {
    const { token, claims } = ctx.issuer.issue({ ...ISSUE_INPUT, scope: "" });
    expect(claims).toHaveProperty("scope", "");
    expect(ctx.verifier.verify(token)).toHaveProperty("scope", "");
  });

  it("writes the header { alg, typ: at+jwt, kid } and a 128-bit random jti", () => {
    const { token, claims } = ctx.issuer.issue(ISSUE_INPUT);
    expect(decodeProtectedHeader(token)).toEqual({ alg, typ: "at+jwt", kid: ctx.stored.kid });
    expect(claims.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(ctx.issuer.issue(ISSUE_INPUT).claims.jti).not.toBe(claims.jti);
  });

  it("issues tokens that jose verifies", async () => {
    const { token, claims } = ctx.issuer.issue({ ...ISSUE_INPUT, scope: "read" });
    const result = await joseVerify(ctx, alg, token);
    expect(result.payload).toEqual(claims);
    expect(result.protectedHeader).toEqual({ alg, typ: "at+jwt", kid: ctx.stored.kid });
  });

  it("verifies tokens jose signs with its key", async () => {
    const claims = ctx.claims();
    const token = await joseSign(ctx, alg, claims);
    expect(ctx.verifier.verify(token)).toEqual(claims);
  });
});

describe("access-token claims", () => {
  const ctx = setUp("ES256");
  const signed = (claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
    signCompact("ES256", ctx.signingKey, ctx.header(header), claims);

  it("refuses an expired token, with no leeway", () => {
    const clock = createManualClock();
    const ring = ctx.keyRing;
    const issuer = createAccessTokenIssuer({
      keyRing: ring,
      issuer: ISSUER,
      audience: AUDIENCE,
      ttlSeconds: 60,
      clock,
    });
    const verifier = createAccessTokenVerifier({
      keyRing: ring,
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ["ES256"],
      clock,
    });
    const { token, claims } = issuer.issue(ISSUE_INPUT);
    clock.set(claims.exp * 1000 - 1);
    expect(verifier.verify(token)).not.toBeNull();
    clock.set(claims.exp * 1000);
    expect(verifier.verify(token)).toBeNull();
    clock.advance(3_600_000);
    expect(verifier.verify(token)).toBeNull();
  });

  it("refuses another audience and accepts an audience list that contains ours", () => {
    expect(ctx.verifier.verify(signed(ctx.claims({ aud: "other-api" })))).toBeNull();
    expect(ctx.verifier.verify(signed(ctx.claims({ aud: ["other-api"] })))).toBeNull();
    expect(ctx.verifier.verify(signed(ctx.claims({ aud: [AUDIENCE.toUpperCase()] })))).toBeNull();
    expect(ctx.verifier.verify(signed(ctx.claims({ aud: [AUDIENCE, 42] })))).toBeNull();
    expect(ctx.verifier.verify(signed(ctx.claims({ aud: undefined })))).toBeNull();
    expect(ctx.verifier.verify(signed(ctx.claims({ aud: ["other-api", AUDIENCE] })))?.aud).toBe(AUDIENCE);
  });

  it("refuses another issuer", () => {
    expect(ctx.verifier.verify(signed(ctx.claims({ iss: "https://evil.example" })))).toBeNull();
    expect(ctx.verifier.verify(signed(ctx.claims({ iss: `${ISSUER}/` })))).toBeNull();
    expect(ctx.verifier.verify(signed(ctx.claims({ iss: [ISSUER] })))).toBeNull();
  });

  it("refuses a typ other than at+jwt (RFC 9068 §4), case-insensitively", () => {
    for (const typ of ["JWT", "jwt", "application/jwt", "at+jwt ", "dpop+jwt", "", 1, null]) {
      expect(ctx.verifier.verify(signed(ctx.claims(), { typ }))).toBeNull();
    }
    expect(
      ctx.verifier.verify(
        signCompact("ES256", ctx.signingKey, { alg: "ES256", kid: ctx.stored.kid }, ctx.claims()),
      ),
    ).toBeNull();
    for (const typ of ["at+jwt", "AT+JWT", "application/at+jwt", "Application/AT+JWT"]) {
      expect(ctx.verifier.verify(signed(ctx.claims(), { typ }))).not.toBeNull();
    }
  });

  it("refuses tokens missing sid, sub or jti, or with claims of the wrong type", () => {
    const spoiled = [
      { sid: undefined },
      { sid: "" },
      { sid: 7 },
      { sub: undefined },
      { sub: "" },
      { jti: undefined },
      { exp: undefined },
      { exp: "9999999999" },
      { iat: undefined },
      { auth_time: undefined },
      { roles: undefined },
      { roles: "admin" },
      { roles: ["user", 1] },
      { amr: undefined },
      { amr: [null] },
      { scope: ["read"] },
      { nbf: "0" },
    ];
    for (const overrides of spoiled) {
      const claims = ctx.claims();
      for (const [name, value] of Object.entries(overrides)) {
        if (value === undefined) delete claims[name];
        else claims[name] = value;
      }
      expect(ctx.verifier.verify(signed(claims)), JSON.stringify(overrides)).toBeNull();
    }
  });

  it("refuses a token not yet valid: nbf beyond 5 s or iat beyond 60 s", () => {
    const now = Math.floor(ctx.clock.now() / 1000);
    expect(ctx.verifier.verify(signed(ctx.claims({ nbf: now + 5 })))).not.toBeNull();
    expect(ctx.verifier.verify(signed(ctx.claims({ nbf: now + 6 })))).toBeNull();
    expect(ctx.verifier.verify(signed(ctx.claims({ iat: now + 60 })))).not.toBeNull();
    expect(ctx.verifier.verify(signed(ctx.claims({ iat: now + 61 })))).toBeNull();
  });

  it("returns only the access-token claims, frozen", () => {
    const claims = ctx.verifier.verify(signed(ctx.claims({ extra: "ignored", scope: "read" })));
    expect(claims).not.toHaveProperty("extra");
    expect(Object.isFrozen(claims)).toBe(true);
    expect(Object.isFrozen(claims?.roles)).toBe(true);
  });
});

describe("key rotation", () => {
  it("keeps verifying tokens of a retired key after replace() with a newer current key", async () => {
    const ctx = setUp("ES256");
    const before = ctx.issuer.issue(ISSUE_INPUT).token;
    expect(ctx.verifier.verify(before)).not.toBeNull();

    const now = ctx.clock.now();
    const newer = generateSigningKey("ES256", { kek: KEK, now });
    ctx.keyRing.replace([{ ...ctx.stored, retiredAt: now }, newer]);
    ctx.clock.advance(1000);

    const after = ctx.issuer.issue(ISSUE_INPUT).token;
    expect(decodeProtectedHeader(after).kid).toBe(newer.kid);
    expect(ctx.verifier.verify(before)?.sub).toBe(ISSUE_INPUT.userId);
    expect(ctx.verifier.verify(after)?.sub).toBe(ISSUE_INPUT.userId);
    // Both stay in the published JWKS, so resource servers agree.
    await expect(joseVerify(ctx, "ES256", before)).resolves.toBeDefined();
    await expect(joseVerify(ctx, "ES256", after)).resolves.toBeDefined();

    // Once the store drops the old key, its tokens are refused (even though they were cached).
    ctx.keyRing.replace([newer]);
    expect(ctx.verifier.verify(before)).toBeNull();
    expect(ctx.verifier.verify(after)).not.toBeNull();
  });
});

describe("configuration", () => {
  const ctx = setUp("ES256");
  const base = { keyRing: ctx.keyRing, issuer: ISSUER, audience: AUDIENCE, clock: ctx.clock };

  it("the issuer refuses bad options and bad input", () => {
    expect(() => createAccessTokenIssuer({ ...base, ttlSeconds: 0 })).toThrow(/ttlSeconds/);
    expect(() => createAccessTokenIssuer({ ...base, issuer: "", ttlSeconds: 1.5 })).toThrow(
      /issuer.*ttlSeconds/,
    );
    const issuer = createAccessTokenIssuer({ ...base, ttlSeconds: 60 });
    expect(() => issuer.issue({ ...ISSUE_INPUT, userId: "" })).toThrow(/userId/);
    expect(() => issuer.issue({ ...ISSUE_INPUT, roles: [1 as unknown as string] })).toThrow(/roles/);
    expect(() => issuer.issue({ ...ISSUE_INPUT, authTime: Number.NaN })).toThrow(/authTime/);
  });

  it("the verifier refuses bad options, listing every problem", () => {
    expect(() => createAccessTokenVerifier({ ...base, algorithms: [] })).toThrow(/non-empty/);
    expect(() =>
      createAccessTokenVerifier({ ...base, algorithms: ["ES256", "none" as SigningAlgorithm] }),
    ).toThrow(/unsupported algorithm "none"/);
    expect(() => createAccessTokenVerifier({ ...base, algorithms: ["RS256"] })).toThrow(/signs with ES256/);
    expect(() =>
      createAccessTokenVerifier({ ...base, audience: "", algorithms: ["ES256"], cacheSize: -1 }),
    ).toThrow(/audience.*cacheSize/);
  });

  it("an HS256 ring verifies its own tokens and publishes nothing", () => {
    const hs = setUp("HS256");
    expect(hs.keyRing.jwks().keys).toEqual([]);
    expect(hs.verifier.verify(hs.issuer.issue(ISSUE_INPUT).token)).not.toBeNull();
    const other = createKeyRing({
      kek: KEK,
      algorithm: "HS256",
      keys: [generateSigningKey("HS256", { kek: KEK, now: 0 })],
    });
    const foreign = createAccessTokenVerifier({ ...base, keyRing: other, algorithms: ["HS256"] });
    expect(foreign.verify(hs.issuer.issue(ISSUE_INPUT).token)).toBeNull();
  });
});
