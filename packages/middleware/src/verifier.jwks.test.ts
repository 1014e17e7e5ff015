/**
 * Invariant: the verifier trusts exactly the usable keys Portcullis publishes, and fetches its
 * JWKS only when it must — at start, on a `kid` it does not know (a rotation), and when the set
 * is older than its maximum age — never more than once per cooldown, whatever tokens arrive (a
 * flood of forged `kid`s cannot make it hammer Portcullis). A withdrawn key stops verifying,
 * cached tokens included. Without any key it answers 503, not 401.
 */
import { constants, generateKeyPairSync, sign } from "node:crypto";
import type { JWK } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { createTokenVerifier, type TokenVerifierOptions } from "./verifier.js";
import {
  AUDIENCE,
  accessClaims,
  forge,
  generateTestKey,
  ISSUER,
  type JwksServer,
  signWithJose,
  startJwksServer,
} from "./verifier.test-support.js";

const COOLDOWN_MS = 5_000;

function manualClock(start = Date.UTC(2026, 5, 1, 12)) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

let server: JwksServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setUp(keys: JWK[], options: Partial<TokenVerifierOptions> = {}) {
  server = await startJwksServer(keys);
  const clock = manualClock();
  const errors: string[] = [];
  const verifier = createTokenVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUrl: server.url,
    algorithms: ["ES256", "RS256", "EdDSA"],
    jwksCooldownMs: COOLDOWN_MS,
    clock,
    onError: (_error, context) => errors.push(context),
    ...options,
  });
  return { server, clock, verifier, errors };
}

describe("fetching the JWKS", () => {
  it("picks up a rotated key on its first token once the cooldown has passed, with one fetch", async () => {
    const old = generateTestKey("ES256");
    const { server, clock, verifier } = await setUp([old.jwk]);
    const first = await signWithJose(old, accessClaims(clock.now()));
    expect((await verifier.verify(first)).ok).toBe(true);
    expect(server.fetches).toBe(1);

    const rotated = generateTestKey("ES256");
    server.publish([rotated.jwk, old.jwk]);
    const next = await signWithJose(rotated, accessClaims(clock.now()));
    // Within the cooldown of the start-up fetch: refused, and Portcullis is not asked again.
    expect(await verifier.verify(next)).toEqual({ ok: false, code: "invalid_token", reason: "unknown_key" });
    expect(server.fetches).toBe(1);

    clock.advance(COOLDOWN_MS);
    expect((await verifier.verify(next)).ok).toBe(true);
    expect(server.fetches).toBe(2);
    // The old key stays trusted while it is published.
    expect((await verifier.verify(first)).ok).toBe(true);
  });

  it("fetches at most once per cooldown for a flood of unknown kids, and once for concurrent ones", async () => {
    const key = generateTestKey("ES256");
    const { server, clock, verifier } = await setUp([key.jwk]);
    await verifier.ready();
    const forged = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        signWithJose(generateTestKey("ES256", `forged-${i}`), accessClaims(clock.now())),
      ),
    );
    for (const token of forged) expect((await verifier.verify(token)).ok).toBe(false);
    expect(server.fetches).toBe(1);

    clock.advance(COOLDOWN_MS);
    const results = await Promise.all(forged.map((token) => verifier.verify(token)));
    expect(results.every((result) => !result.ok && result.reason === "unknown_key")).toBe(true);
    expect(server.fetches).toBe(2);
  });

  it("stops trusting a withdrawn key, cached tokens included, after the set's maximum age", async () => {
    const old = generateTestKey("ES256");
    const kept = generateTestKey("ES256");
    const { server, clock, verifier } = await setUp([old.jwk, kept.jwk], { jwksMaxAgeMs: 60_000 });
    const byOld = await signWithJose(old, accessClaims(clock.now()));
    const byKept = await signWithJose(kept, accessClaims(clock.now()));
    expect((await verifier.verify(byOld)).ok).toBe(true);
    expect((await verifier.verify(byKept)).ok).toBe(true);

    server.publish([kept.jwk]);
    clock.advance(60_000);
    // This request is answered from the cache and starts the background fetch; ready() awaits it.
    expect(verifier.verifyNow(byKept)?.ok).toBe(true);
    await verifier.ready();
    expect(server.fetches).toBe(2);
    expect(await verifier.verify(byOld)).toMatchObject({ ok: false, reason: "unknown_key" });
    expect((await verifier.verify(byKept)).ok).toBe(true);
  });

  it("answers 503 while no key could be fetched, then recovers after the cooldown", async () => {
    const key = generateTestKey("ES256");
    const { server, clock, verifier, errors } = await setUp([key.jwk]);
    server.fail(true);
    const token = await signWithJose(key, accessClaims(clock.now()));
    expect(await verifier.verify(token)).toEqual({
      ok: false,
      code: "service_unavailable",
      reason: "keys_unavailable",
    });
    expect(errors).toEqual([`fetching the JWKS at ${server.url}`]);
    server.fail(false);
    expect((await verifier.verify(token)).ok).toBe(false);
    clock.advance(COOLDOWN_MS);
    expect((await verifier.verify(token)).ok).toBe(true);
  });
});

describe("keys in the set", () => {
  it("uses only public keys bound to an accepted algorithm, of a fitting type and size, with a unique plain kid", async () => {
    const good = generateTestKey("ES256", "good");
    const noAlg = generateTestKey("ES256", "no-alg");
    const forEncryption = generateTestKey("ES256", "enc");
    const withPrivatePart = generateTestKey("ES256", "private");
    const mislabelled = generateTestKey("ES256", "mislabelled");
    const twice = generateTestKey("ES256", "twice");
    const twiceOther = generateTestKey("ES256", "twice");
    const badKid = generateTestKey("ES256", "bad kid");
    const weak = generateKeyPairSync("rsa", { modulusLength: 1024 });
    const weakJwk = { ...(weak.publicKey.export({ format: "jwk" }) as JWK), kid: "weak", alg: "RS256" };
    const { verifier } = await setUp([
      good.jwk,
      withoutAlg(noAlg.jwk),
      { ...forEncryption.jwk, use: "enc" },
      { ...withPrivatePart.jwk, d: withPrivatePart.privateKey.export({ format: "jwk" }).d ?? "" },
      { ...mislabelled.jwk, alg: "EdDSA" },
      twice.jwk,
      twiceOther.jwk,
      badKid.jwk,
      weakJwk,
    ]);
    const now = Date.UTC(2026, 5, 1, 12);
    expect((await verifier.verify(await signWithJose(good, accessClaims(now)))).ok).toBe(true);
    for (const key of [noAlg, forEncryption, withPrivatePart, twice, twiceOther]) {
      const result = await verifier.verify(await signWithJose(key, accessClaims(now)));
      expect(result, key.kid).toMatchObject({ ok: false, reason: "unknown_key" });
    }
    const mislabelledToken = await signWithJose(mislabelled, accessClaims(now));
    expect(await verifier.verify(mislabelledToken)).toMatchObject({ ok: false });
    expect(await verifier.verify(await signWithJose(badKid, accessClaims(now)))).toMatchObject({
      ok: false,
      reason: "header",
    });
    // jose refuses to sign with it at all; node:crypto does not.
    const weakToken = forge({ alg: "RS256", typ: "at+jwt", kid: "weak" }, accessClaims(now), (input) =>
      sign("sha256", input, { key: weak.privateKey, padding: constants.RSA_PKCS1_PADDING }),
    );
    expect(await verifier.verify(weakToken)).toMatchObject({ ok: false, reason: "unknown_key" });
  });

  it("ignores keys of algorithms it was not told to accept", async () => {
    const rsa = generateTestKey("RS256");
    const { verifier } = await setUp([rsa.jwk], { algorithms: ["ES256"] });
    const token = await signWithJose(rsa, accessClaims(Date.UTC(2026, 5, 1, 12)));
    expect(await verifier.verify(token)).toMatchObject({ ok: false, reason: "algorithm" });
  });
});

function withoutAlg(jwk: JWK): JWK {
  const { alg: _alg, ...rest } = jwk;
  return rest;
}
