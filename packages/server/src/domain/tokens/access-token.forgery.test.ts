/**
 * Invariant: the verifier accepts a token only if it was signed by a key in the ring, with the
 * one algorithm that key is bound to, and without letting the token choose or fetch its key.
 * Every known JWT forgery class (security.md §2.1; RFC 8725 §2.1, §2.9, §3.1, §3.10) is built by
 * hand below and must come back `null`, without throwing, however permissive `algorithms` is.
 */
import { createPublicKey, generateKeyPairSync, sign } from "node:crypto";
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
import { generateSigningKey, jwkThumbprint } from "./signing-key.js";

describe("alg: none", () => {
  const ctx = setUp("ES256", { algorithms: ALGORITHMS });

  it.each(["none", "None", "NONE", "nOnE"])("refuses alg %s with an empty signature", (alg) => {
    const token = compact(ctx.header({ alg }), ctx.claims(), "");
    expect(ctx.verifier.verify(token)).toBeNull();
    expect(ctx.verifier.verify(compact({ alg, typ: "at+jwt" }, ctx.claims(), ""))).toBeNull();
  });

  it("refuses alg none even with a genuine signature attached", () => {
    const genuine = ctx.issuer.issue(ISSUE_INPUT).token;
    const [, payload, signature] = genuine.split(".") as [string, string, string];
    expect(
      ctx.verifier.verify(`${base64url(ctx.header({ alg: "none" }))}.${payload}.${signature}`),
    ).toBeNull();
  });

  it("refuses algorithms outside the list and other spellings of listed ones", () => {
    const strict = setUp("ES256");
    for (const alg of ["es256", "ES384", "ES512", "PS256", "RS256", "HS256", "EdDSA", "Ed25519", ""]) {
      expect(
        strict.verifier.verify(
          signCompact("ES256", strict.signingKey, strict.header({ alg }), strict.claims()),
        ),
      ).toBeNull();
    }
  });
});

describe("the header alg must be the key's alg (RFC 8725 §3.1)", () => {
  it("refuses a genuine ES256 signature labelled with another allowed algorithm", () => {
    const ctx = setUp("ES256", { algorithms: ALGORITHMS });
    expect(
      ctx.verifier.verify(signCompact("ES256", ctx.signingKey, ctx.header(), ctx.claims())),
    ).not.toBeNull();
    for (const alg of ["RS256", "EdDSA", "HS256"]) {
      expect(
        ctx.verifier.verify(signCompact("ES256", ctx.signingKey, ctx.header({ alg }), ctx.claims())),
      ).toBeNull();
    }
  });
});

describe("key confusion: HS256 with a public key as the secret (RFC 8725 §2.1)", () => {
  describe.each(["ES256", "RS256", "EdDSA"] as const)("against a %s ring", (alg) => {
    // The most permissive configuration: HS256 allowed too. The key type must still decide.
    const ctx = setUp(alg, { algorithms: [alg, "HS256"] });
    const publicKey = createPublicKey({ key: ctx.stored.publicJwk!, format: "jwk" });
    const spkiPem = publicKey.export({ type: "spki", format: "pem" }).toString();
    const { kid: _kid, alg: _alg, use: _use, ...members } = ctx.stored.publicJwk!;
    const serialisations: Record<string, Buffer> = {
      "published JWK JSON": Buffer.from(JSON.stringify(ctx.stored.publicJwk)),
      "bare JWK JSON": Buffer.from(JSON.stringify(members)),
      "PEM SPKI": Buffer.from(spkiPem),
      "PEM SPKI without the final newline": Buffer.from(spkiPem.trimEnd()),
      "PEM SPKI with CRLF": Buffer.from(spkiPem.replaceAll("\n", "\r\n")),
      "DER SPKI": publicKey.export({ type: "spki", format: "der" }),
      ...(alg === "RS256"
        ? {
            "PEM PKCS#1": Buffer.from(publicKey.export({ type: "pkcs1", format: "pem" }).toString()),
            "DER PKCS#1": publicKey.export({ type: "pkcs1", format: "der" }),
          }
        : {}),
    };

    it("still accepts its genuine tokens (control)", () => {
      expect(ctx.verifier.verify(ctx.issuer.issue(ISSUE_INPUT).token)).not.toBeNull();
    });

    it.each(Object.keys(serialisations))("refuses HS256 keyed with the %s", (name) => {
      const secret = serialisations[name]!;
      const token = signCompact("HS256", secret, ctx.header({ alg: "HS256" }), ctx.claims());
      expect(ctx.verifier.verify(token)).toBeNull();
    });
  });
});

describe("ES256 signatures", () => {
  const ctx = setUp("ES256");
  const forged = (signature: Buffer | string) => compact(ctx.header(), ctx.claims(), signature);

  it("refuses an all-zero signature, raw (64 zero bytes) or DER (MAYCAQACAQA)", () => {
    expect(ctx.verifier.verify(forged(Buffer.alloc(64)))).toBeNull();
    expect(ctx.verifier.verify(forged("MAYCAQACAQA"))).toBeNull();
  });

  it("refuses r = 0 or s = 0 next to a genuine half, and signatures of the wrong length", () => {
    const token = signCompact("ES256", ctx.signingKey, ctx.header(), ctx.claims());
    expect(ctx.verifier.verify(token)).not.toBeNull();
    const signature = Buffer.from(token.split(".")[2]!, "base64url");
    const zeroR = Buffer.concat([Buffer.alloc(32), signature.subarray(32)]);
    const zeroS = Buffer.concat([signature.subarray(0, 32), Buffer.alloc(32)]);
    for (const bad of [
      zeroR,
      zeroS,
      signature.subarray(0, 63),
      Buffer.concat([signature, Buffer.alloc(1)]),
      Buffer.alloc(1),
    ]) {
      expect(
        ctx.verifier.verify(`${token.slice(0, token.lastIndexOf(".") + 1)}${bad.toString("base64url")}`),
      ).toBeNull();
    }
  });

  it("refuses a genuine signature in DER form: JWS requires raw R || S (RFC 7518 §3.4)", () => {
    const header = base64url(ctx.header());
    const payload = base64url(ctx.claims());
    const der = sign("sha256", Buffer.from(`${header}.${payload}`), {
      key: ctx.signingKey,
      dsaEncoding: "der",
    });
    expect(ctx.verifier.verify(`${header}.${payload}.${der.toString("base64url")}`)).toBeNull();
  });

  it("refuses zero signatures for EdDSA and RS256 too", () => {
    for (const alg of ["EdDSA", "RS256"] as const) {
      const other = setUp(alg);
      expect(other.verifier.verify(compact(other.header(), other.claims(), Buffer.alloc(64)))).toBeNull();
      expect(other.verifier.verify(compact(other.header(), other.claims(), Buffer.alloc(384)))).toBeNull();
    }
  });
});

describe("key material named by the token (RFC 8725 §3.10)", () => {
  const ctx = setUp("ES256");
  const attacker = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const attackerJwk = attacker.publicKey.export({ format: "jwk" });

  it("refuses an embedded jwk header carrying the attacker's own key", () => {
    const underOurKid = signCompact(
      "ES256",
      attacker.privateKey,
      ctx.header({ jwk: attackerJwk }),
      ctx.claims(),
    );
    expect(ctx.verifier.verify(underOurKid)).toBeNull();
    const underItsKid = signCompact(
      "ES256",
      attacker.privateKey,
      ctx.header({ jwk: attackerJwk, kid: jwkThumbprint(attackerJwk) }),
      ctx.claims(),
    );
    expect(ctx.verifier.verify(underItsKid)).toBeNull();
    const withoutKid = signCompact(
      "ES256",
      attacker.privateKey,
      { alg: "ES256", typ: "at+jwt", jwk: attackerJwk },
      ctx.claims(),
    );
    expect(ctx.verifier.verify(withoutKid)).toBeNull();
  });

  it.each([
    ["jwk", { kty: "EC", crv: "P-256", x: "AAAA", y: "AAAA" }],
    ["jku", "https://attacker.example/jwks.json"],
    ["x5u", "https://attacker.example/cert.pem"],
    ["x5c", ["MIIBszCCAVmgAwIBAgIUQ"]],
    ["crit", ["exp"]],
    ["jku", null],
  ])("refuses a %s header even on a token our own key signed", (name, value) => {
    const token = signCompact("ES256", ctx.signingKey, ctx.header({ [name]: value }), ctx.claims());
    expect(ctx.verifier.verify(token)).toBeNull();
  });

  it("refuses an unknown kid, with no fallback to the current key", () => {
    const token = signCompact("ES256", ctx.signingKey, ctx.header({ kid: "unknown-kid" }), ctx.claims());
    expect(ctx.verifier.verify(token)).toBeNull();
  });

  it.each([
    "../../etc/passwd",
    "' OR 1=1 --",
    "' UNION SELECT 'secret",
    "/dev/null",
    "__proto__",
    "constructor",
    "",
    "a".repeat(65),
    "kid\u0000",
  ])("refuses the injected kid %j", (kid) => {
    const token = signCompact("ES256", ctx.signingKey, ctx.header({ kid }), ctx.claims());
    expect(ctx.verifier.verify(token)).toBeNull();
  });

  it.each([42, null, [""], {}, true])("refuses a kid that is not a string: %j", (kid) => {
    const token = signCompact("ES256", ctx.signingKey, ctx.header({ kid }), ctx.claims());
    expect(ctx.verifier.verify(token)).toBeNull();
  });

  it("refuses a token without kid", () => {
    const token = signCompact("ES256", ctx.signingKey, { alg: "ES256", typ: "at+jwt" }, ctx.claims());
    expect(ctx.verifier.verify(token)).toBeNull();
  });

  it("never verifies with a stored key of another algorithm than the configured one", () => {
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
});

describe("HS256 with an empty or guessed secret (CVE-2025-65945 class)", () => {
  const ctx = setUp("HS256");

  it("refuses a token signed with an empty secret under an unknown, empty or missing kid", () => {
    for (const header of [
      ctx.header({ kid: "unknown" }),
      ctx.header({ kid: "" }),
      { alg: "HS256", typ: "at+jwt" },
    ]) {
      expect(ctx.verifier.verify(signCompact("HS256", "", header, ctx.claims()))).toBeNull();
    }
  });

  it("refuses a token signed with an empty or guessed secret under our kid", () => {
    for (const secret of ["", "secret", "undefined", "null", ctx.stored.kid]) {
      expect(ctx.verifier.verify(signCompact("HS256", secret, ctx.header(), ctx.claims()))).toBeNull();
    }
  });
});

describe("tampering", () => {
  it.each(ALGORITHMS)("%s: refuses a changed payload under the original signature", (alg) => {
    const ctx = setUp(alg);
    const { token } = ctx.issuer.issue(ISSUE_INPUT);
    const [header, , signature] = token.split(".") as [string, string, string];
    const escalated = base64url({ ...ctx.claims(), roles: ["admin"] });
    expect(ctx.verifier.verify(`${header}.${escalated}.${signature}`)).toBeNull();
  });

  it("refuses a payload that is not valid UTF-8 or carries a BOM, though signed (RFC 8725 §3.7)", () => {
    const ctx = setUp("ES256");
    const json = Buffer.from(JSON.stringify(ctx.claims({ sub: "~~" })));
    const control = signCompact("ES256", ctx.signingKey, ctx.header(), json.toString("base64url"));
    expect(ctx.verifier.verify(control)).not.toBeNull();
    const invalid = Buffer.from(json);
    invalid[invalid.indexOf("~~")] = 0xff;
    expect(
      ctx.verifier.verify(signCompact("ES256", ctx.signingKey, ctx.header(), invalid.toString("base64url"))),
    ).toBeNull();
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json]);
    expect(
      ctx.verifier.verify(signCompact("ES256", ctx.signingKey, ctx.header(), bom.toString("base64url"))),
    ).toBeNull();
  });
});

describe("garbage input", () => {
  const ctx = setUp("ES256");
  const genuine = ctx.issuer.issue(ISSUE_INPUT).token;
  const [header, payload, signature] = genuine.split(".") as [string, string, string];
  const inputs: unknown[] = [
    "",
    ".",
    "..",
    "a.b.c",
    "a..c",
    "x".repeat(100 * 1024),
    "a.b.c".repeat(20 * 1024),
    `${header}.${payload}.${"A".repeat(8 * 1024)}`,
    `${base64url("not json")}.${payload}.${signature}`,
    `${base64url("[]")}.${payload}.${signature}`,
    `${base64url("null")}.${payload}.${signature}`,
    `${base64url('"ES256"')}.${payload}.${signature}`,
    `${base64url("{")}.${payload}.${signature}`,
    `${header}.${payload}.${signature}.${signature}`,
    `${header}.${payload}.${signature}.${signature}.${signature}`,
    `${header}.${payload}`,
    ` ${genuine}`,
    `${genuine}\n`,
    `Bearer ${genuine}`,
    `${header}=.${payload}.${signature}`,
    `${header}.${payload}.${signature.replace(/.$/, "+")}`,
    null,
    undefined,
    42,
    {},
    [genuine],
    { toString: () => genuine },
  ];

  it("returns null without throwing, and fast", () => {
    expect(ctx.verifier.verify(genuine)).not.toBeNull();
    const started = performance.now();
    for (let round = 0; round < 200; round += 1) {
      for (const input of inputs) expect(ctx.verifier.verify(input as string)).toBeNull();
    }
    // 5,400 rejections; generous bound, the real figure is a few milliseconds.
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe("duplicate member names (RFC 7515 §5.2, RFC 7519 §4)", () => {
  const ctx = setUp("ES256");
  /** The JSON text of `object` with `extra` members appended verbatim, names possibly repeated. */
  const withMembers = (object: Record<string, unknown>, extra: string) =>
    base64url(`${JSON.stringify(object).slice(0, -1)},${extra}}`);
  const sign = (header: string, payload: string) => signCompact("ES256", ctx.signingKey, header, payload);

  it("accepts the same members once each, nested objects and arrays with repeated names (control)", () => {
    const header = withMembers(ctx.header(), '"x-a":{"kid":1,"alg":[{"alg":2}]}');
    const payload = withMembers(
      ctx.claims(),
      '"ext":{"sub":"other","nested":{"sub":1}},"list":[{"sub":1},{"sub":2}]',
    );
    expect(ctx.verifier.verify(sign(header, payload))).not.toBeNull();
  });

  it.each([
    // Each would pass under "last one wins", which is what JSON.parse does.
    ["two alg", '"alg":"ES256"'],
    ["two kid", `"kid":"${ctx.stored.kid}"`],
    ["two typ", '"typ":"at+jwt"'],
    ["a repeated name spelt with an escape", '"\\u0061lg":"ES256"'],
  ])("refuses a header with %s, though signed with our key", (_name, extra) => {
    expect(ctx.verifier.verify(sign(withMembers(ctx.header(), extra), base64url(ctx.claims())))).toBeNull();
  });

  it.each([
    ["two sub", '"sub":"user_admin"'],
    ["two aud", `"aud":"${AUDIENCE}"`],
    ["two exp", `"exp":${Math.floor(ctx.clock.now() / 1000) + 86_400}`],
    ["two roles", '"roles":["admin"]'],
    ["a repeated name spelt with an escape", '"s\\u0075b":"user_admin"'],
  ])("refuses a claim set with %s, though signed with our key", (_name, extra) => {
    expect(ctx.verifier.verify(sign(base64url(ctx.header()), withMembers(ctx.claims(), extra)))).toBeNull();
  });
});
