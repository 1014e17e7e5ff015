/**
 * Invariant: the cache of verified tokens only ever answers for the exact string that passed full
 * verification, under the key-ring version it was verified with, and only while its time checks
 * still pass. A cached token is refused once expired; a token differing in any character — even
 * one that decodes to the same signature bytes — gets no help from the cache.
 */
import { describe, expect, it } from "vitest";
import { createAccessTokenVerifier } from "./access-token.js";
import {
  ALGORITHMS,
  AUDIENCE,
  ISSUE_INPUT,
  ISSUER,
  KEK,
  setUp,
  withLastChar,
} from "./access-token.test-support.js";
import type { KeyRing } from "./key-ring.js";
import { generateSigningKey } from "./signing-key.js";

const BASE64URL_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** A ring that counts key look-ups: a look-up means the signature path ran, i.e. a cache miss. */
function countingRing(ring: KeyRing): { ring: KeyRing; lookups: () => number } {
  let lookups = 0;
  return {
    ring: {
      signingKey: () => ring.signingKey(),
      verificationKey: (kid) => {
        lookups += 1;
        return ring.verificationKey(kid);
      },
      jwks: () => ring.jwks(),
      replace: (keys) => ring.replace(keys),
      get version() {
        return ring.version;
      },
    },
    lookups: () => lookups,
  };
}

function setUpCounting(cacheSize?: number) {
  const ctx = setUp("ES256");
  const counting = countingRing(ctx.keyRing);
  const verifier = createAccessTokenVerifier({
    keyRing: counting.ring,
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ["ES256"],
    clock: ctx.clock,
    ...(cacheSize === undefined ? {} : { cacheSize }),
  });
  return { ...ctx, verifier, lookups: counting.lookups };
}

describe("the verified-token cache", () => {
  it("answers a repeated token without checking the signature again", () => {
    const ctx = setUpCounting();
    const { token } = ctx.issuer.issue(ISSUE_INPUT);
    const first = ctx.verifier.verify(token);
    expect(ctx.verifier.verify(token)).toBe(first);
    expect(ctx.verifier.verify(token)).toBe(first);
    expect(ctx.lookups()).toBe(1);
  });

  it("refuses a cached token once it has expired", () => {
    const ctx = setUpCounting();
    const { token, claims } = ctx.issuer.issue(ISSUE_INPUT);
    expect(ctx.verifier.verify(token)).not.toBeNull();
    ctx.clock.set(claims.exp * 1000 - 1);
    expect(ctx.verifier.verify(token)).not.toBeNull();
    ctx.clock.set(claims.exp * 1000);
    expect(ctx.verifier.verify(token)).toBeNull();
    expect(ctx.verifier.verify(token)).toBeNull();
    expect(ctx.lookups()).toBe(2);
  });

  it("re-runs the iat check on a hit (a clock moved backwards)", () => {
    const ctx = setUpCounting();
    const { token } = ctx.issuer.issue(ISSUE_INPUT);
    expect(ctx.verifier.verify(token)).not.toBeNull();
    ctx.clock.advance(-61_000);
    expect(ctx.verifier.verify(token)).toBeNull();
  });

  it.each(ALGORITHMS)(
    "%s: refuses every change of the last signature character after the genuine token was cached",
    (alg) => {
      const ctx = setUp(alg);
      const { token } = ctx.issuer.issue(ISSUE_INPUT);
      expect(ctx.verifier.verify(token)).not.toBeNull();
      const last = token.at(-1)!;
      for (const char of BASE64URL_CHARS) {
        if (char === last) continue;
        expect(ctx.verifier.verify(withLastChar(token, char)), `last char ${char}`).toBeNull();
      }
      expect(ctx.verifier.verify(token)).not.toBeNull();
    },
  );

  it("refuses a variant whose signature decodes to the very same bytes (non-canonical base64url)", () => {
    const ctx = setUp("ES256");
    const { token } = ctx.issuer.issue(ISSUE_INPUT);
    expect(ctx.verifier.verify(token)).not.toBeNull();
    const signature = token.split(".")[2]!;
    const sameBytes = [...BASE64URL_CHARS]
      .map((char) => withLastChar(token, char))
      .filter((variant) => variant !== token)
      .filter((variant) =>
        Buffer.from(variant.split(".")[2]!, "base64url").equals(Buffer.from(signature, "base64url")),
      );
    // 64 bytes take 86 characters: the last one carries 4 unused bits, hence 15 aliases.
    expect(sameBytes).toHaveLength(15);
    for (const variant of sameBytes) expect(ctx.verifier.verify(variant)).toBeNull();
  });

  it("is emptied when the key ring changes, so a removed key's tokens stop verifying", () => {
    const ctx = setUpCounting();
    const { token } = ctx.issuer.issue(ISSUE_INPUT);
    expect(ctx.verifier.verify(token)).not.toBeNull();
    ctx.keyRing.replace([ctx.stored]);
    expect(ctx.verifier.verify(token)).not.toBeNull();
    expect(ctx.lookups()).toBe(2);
    ctx.keyRing.replace([generateSigningKey("ES256", { kek: KEK, now: ctx.clock.now() })]);
    expect(ctx.verifier.verify(token)).toBeNull();
  });

  it("is bounded and evicts the oldest insertion", () => {
    const ctx = setUpCounting(2);
    const [a, b, c] = [1, 2, 3].map(() => ctx.issuer.issue(ISSUE_INPUT).token) as [string, string, string];
    for (const token of [a, b, c]) ctx.verifier.verify(token);
    expect(ctx.lookups()).toBe(3);
    ctx.verifier.verify(b);
    ctx.verifier.verify(c);
    expect(ctx.lookups()).toBe(3);
    expect(ctx.verifier.verify(a)).not.toBeNull();
    expect(ctx.lookups()).toBe(4);
  });

  it("can be cleared, and disabled with cacheSize 0", () => {
    const ctx = setUpCounting();
    const { token } = ctx.issuer.issue(ISSUE_INPUT);
    ctx.verifier.verify(token);
    ctx.verifier.clearCache();
    ctx.verifier.verify(token);
    expect(ctx.lookups()).toBe(2);

    const uncached = setUpCounting(0);
    const other = uncached.issuer.issue(ISSUE_INPUT).token;
    for (let i = 0; i < 3; i += 1) expect(uncached.verifier.verify(other)).not.toBeNull();
    expect(uncached.lookups()).toBe(3);
  });

  it("cannot be poisoned through the claims it returns", () => {
    const ctx = setUpCounting();
    const { token } = ctx.issuer.issue(ISSUE_INPUT);
    const claims = ctx.verifier.verify(token)!;
    expect(() => claims.roles.push("admin")).toThrow(TypeError);
    expect(() => {
      claims.sub = "someone-else";
    }).toThrow(TypeError);
    expect(ctx.verifier.verify(token)).toMatchObject({ sub: ISSUE_INPUT.userId, roles: ISSUE_INPUT.roles });
  });
});

describe("verifyNonBlocking (the request path)", () => {
  it("checks a token not in the cache off the event loop, then answers it from the cache at once", async () => {
    const ctx = setUpCounting();
    const { token } = ctx.issuer.issue(ISSUE_INPUT);
    const pending = ctx.verifier.verifyNonBlocking(token);
    expect(pending).toBeInstanceOf(Promise);
    const claims = await pending;
    expect(claims).toEqual(ctx.verifier.verify(token));
    expect(ctx.verifier.verifyNonBlocking(token)).toBe(claims);
    expect(ctx.lookups()).toBe(1);
  });

  it("refuses a token with a flipped signature character, and caches nothing for it", async () => {
    const ctx = setUpCounting();
    const { token } = ctx.issuer.issue(ISSUE_INPUT);
    const last = token.at(-2) === "A" ? "B" : "A";
    const forged = `${token.slice(0, -2)}${last}${token.at(-1)}`;
    expect(await ctx.verifier.verifyNonBlocking(forged)).toBeNull();
    expect(await ctx.verifier.verifyNonBlocking(forged)).toBeNull();
    expect(ctx.lookups()).toBe(2);
    expect(ctx.verifier.verifyNonBlocking(42 as unknown as string)).toBeNull();
  });

  it("does not cache a verdict reached while the key ring changed", async () => {
    const ctx = setUpCounting();
    const { token } = ctx.issuer.issue(ISSUE_INPUT);
    const pending = ctx.verifier.verifyNonBlocking(token);
    ctx.keyRing.replace([generateSigningKey("ES256", { kek: KEK, now: ctx.clock.now() })]);
    // Another request meanwhile: the cache has already moved on to the new keys when the check ends.
    expect(ctx.verifier.verify(ctx.issuer.issue(ISSUE_INPUT).token)).not.toBeNull();
    expect(await pending).not.toBeNull();
    // Not from the cache: the key that verified it is gone, so the next look refuses it.
    expect(await ctx.verifier.verifyNonBlocking(token)).toBeNull();
    expect(ctx.lookups()).toBe(3);
  });
});
