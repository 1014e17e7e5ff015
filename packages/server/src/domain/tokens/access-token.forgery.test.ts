/**
 * Invariant: the server's verifier accepts a token only if it was signed by a key in the ring,
 * with the one algorithm that key is bound to, and without letting the token choose or fetch its
 * key. Every JWT forgery class (security.md §2.1; RFC 8725 §2.1, §2.9, §3.1, §3.10) is tested once,
 * against the check itself, in `@portcullis/token-verifier`; this suite proves the server runs
 * that check, end to end through a real key ring: one forgery of each class comes back `null`,
 * without throwing, however permissive `algorithms` is — and what only the server has (HS256 keys,
 * a ring holding keys of several algorithms, DPoP-bound tokens) is tested here.
 */
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createAccessTokenVerifier } from "./access-token.js";
import {
  ALGORITHMS,
  AUDIENCE,
  base64url,
  compact,
  ISSUE_INPUT,
  ISSUER,
  KEK,
  setUp,
  signCompact,
} from "./access-token.test-support.js";
import { createKeyRing } from "./key-ring.js";
import { generateSigningKey } from "./signing-key.js";

describe("one forgery of each class, through the key ring", () => {
  // The most permissive configuration: every algorithm allowed. The key must still decide.
  const ctx = setUp("ES256", { algorithms: ALGORITHMS });
  const attacker = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const publicPem = createPublicKey({ key: ctx.stored.publicJwk!, format: "jwk" })
    .export({ type: "spki", format: "pem" })
    .toString();
  const genuine = () => signCompact("ES256", ctx.signingKey, ctx.header(), ctx.claims());
  const withMembers = (object: Record<string, unknown>, extra: string) =>
    base64url(`${JSON.stringify(object).slice(0, -1)},${extra}}`);

  it("accepts its genuine tokens (control)", () => {
    expect(ctx.verifier.verify(ctx.issuer.issue(ISSUE_INPUT).token)).not.toBeNull();
    expect(ctx.verifier.verify(genuine())).not.toBeNull();
  });

  it.each<[string, () => string]>([
    ["alg none", () => compact(ctx.header({ alg: "none" }), ctx.claims(), "")],
    [
      "alg none with a genuine signature",
      () => `${base64url(ctx.header({ alg: "none" }))}.${genuine().split(".").slice(1).join(".")}`,
    ],
    [
      "HS256 keyed with the published public key",
      () => signCompact("HS256", publicPem, ctx.header({ alg: "HS256" }), ctx.claims()),
    ],
    [
      "an embedded jwk carrying the attacker's key",
      () =>
        signCompact(
          "ES256",
          attacker.privateKey,
          ctx.header({ jwk: attacker.publicKey.export({ format: "jwk" }) }),
          ctx.claims(),
        ),
    ],
    [
      "a jku header",
      () =>
        signCompact(
          "ES256",
          ctx.signingKey,
          ctx.header({ jku: "https://attacker.example/jwks.json" }),
          ctx.claims(),
        ),
    ],
    [
      "an unknown kid",
      () => signCompact("ES256", ctx.signingKey, ctx.header({ kid: "unknown-kid" }), ctx.claims()),
    ],
    [
      "an injected kid",
      () => signCompact("ES256", ctx.signingKey, ctx.header({ kid: "../../etc/passwd" }), ctx.claims()),
    ],
    [
      "the kid __proto__",
      () => signCompact("ES256", ctx.signingKey, ctx.header({ kid: "__proto__" }), ctx.claims()),
    ],
    ["an all-zero ES256 signature", () => compact(ctx.header(), ctx.claims(), Buffer.alloc(64))],
    ["a DER-encoded zero signature", () => compact(ctx.header(), ctx.claims(), "MAYCAQACAQA")],
    [
      "a changed payload",
      () =>
        `${base64url(ctx.header())}.${base64url(ctx.claims({ roles: ["admin"] }))}.${genuine().split(".")[2]}`,
    ],
    [
      "a duplicate sub, though signed",
      () =>
        signCompact(
          "ES256",
          ctx.signingKey,
          base64url(ctx.header()),
          withMembers(ctx.claims(), '"sub":"user_admin"'),
        ),
    ],
    [
      "a duplicate alg, though signed",
      () =>
        signCompact(
          "ES256",
          ctx.signingKey,
          withMembers(ctx.header(), '"\\u0061lg":"ES256"'),
          base64url(ctx.claims()),
        ),
    ],
    ["a non-canonical signature encoding", () => `${genuine()}=`],
    [
      "a payload with a byte-order mark, though signed",
      () =>
        signCompact(
          "ES256",
          ctx.signingKey,
          ctx.header(),
          Buffer.concat([
            Buffer.from([0xef, 0xbb, 0xbf]),
            Buffer.from(JSON.stringify(ctx.claims())),
          ]).toString("base64url"),
        ),
    ],
    [
      "another audience",
      () => signCompact("ES256", ctx.signingKey, ctx.header(), ctx.claims({ aud: "https://other.example" })),
    ],
    [
      "an expired token",
      () =>
        signCompact(
          "ES256",
          ctx.signingKey,
          ctx.header(),
          ctx.claims({ exp: Math.floor(ctx.clock.now() / 1000) }),
        ),
    ],
    [
      "an mTLS-bound token (a binding the server cannot check)",
      () => signCompact("ES256", ctx.signingKey, ctx.header(), ctx.claims({ cnf: { "x5t#S256": "abc" } })),
    ],
  ])("refuses %s", (_name, make) => {
    expect(ctx.verifier.verify(make())).toBeNull();
  });

  it("accepts a DPoP-bound token and hands back its thumbprint (the proof is the caller's to check)", () => {
    const token = signCompact(
      "ES256",
      ctx.signingKey,
      ctx.header(),
      ctx.claims({ cnf: { jkt: "0ZcOCORZNYy" } }),
    );
    expect(ctx.verifier.verify(token)?.cnf).toEqual({ jkt: "0ZcOCORZNYy" });
  });

  it("returns null for inputs that are not strings, without throwing", () => {
    for (const input of [null, undefined, 42, {}, [genuine()], { toString: () => genuine() }])
      expect(ctx.verifier.verify(input as string)).toBeNull();
  });
});

describe("what only the server has", () => {
  it("never verifies with a stored key of another algorithm than the configured one", () => {
    const ctx = setUp("ES256");
    const t0 = Date.UTC(2025, 11, 1);
    const es = generateSigningKey("ES256", { kek: KEK, now: t0 });
    const rs = generateSigningKey("RS256", { kek: KEK, now: t0 });
    const ring = createKeyRing({ kek: KEK, algorithm: "ES256", keys: [es, rs] });
    const verifier = createAccessTokenVerifier({
      keyRing: ring,
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ["ES256", "RS256"],
      clock: ctx.clock,
    });
    const rsPrivate = createKeyRing({ kek: KEK, algorithm: "RS256", keys: [rs] }).signingKey().key;
    const token = signCompact("RS256", rsPrivate, { alg: "RS256", typ: "at+jwt", kid: rs.kid }, ctx.claims());
    expect(verifier.verify(token)).toBeNull();
  });

  it("refuses HS256 tokens signed with an empty or guessed secret (CVE-2025-65945 class)", () => {
    const ctx = setUp("HS256");
    expect(ctx.verifier.verify(ctx.issuer.issue(ISSUE_INPUT).token)).not.toBeNull();
    for (const secret of ["", "secret", "undefined", "null", ctx.stored.kid]) {
      for (const header of [ctx.header(), ctx.header({ kid: "unknown" }), { alg: "HS256", typ: "at+jwt" }])
        expect(ctx.verifier.verify(signCompact("HS256", secret, header, ctx.claims()))).toBeNull();
    }
  });

  it.each(ALGORITHMS)("%s: refuses a changed payload under the original signature", (alg) => {
    const ctx = setUp(alg);
    const [header, , signature] = ctx.issuer.issue(ISSUE_INPUT).token.split(".") as [string, string, string];
    expect(
      ctx.verifier.verify(`${header}.${base64url(ctx.claims({ roles: ["admin"] }))}.${signature}`),
    ).toBeNull();
  });
});
