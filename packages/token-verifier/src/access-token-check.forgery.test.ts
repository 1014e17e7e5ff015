/**
 * Invariant: the check accepts a token only if a known key signed it, with the one algorithm that
 * key is bound to, typed `at+jwt`, for our issuer and audience, unexpired, with every claim
 * Portcullis puts there, in canonical encodings naming each member once — and refuses every
 * forgery of RFC 8725 and security.md §2.1 (`none`, algorithm and key confusion, header-supplied
 * keys, zero ECDSA signatures, injected `kid`s, non-canonical or non-UTF-8 segments, duplicate
 * members), with the reason, without throwing, however permissive the allowed algorithms are.
 * The server and `@portcullis/middleware` both run this check; their own suites prove they do.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { createLocalJWKSet, type JWK, jwtVerify } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import type { AccessTokenCheck, AccessTokenCheckResult } from "./access-token-check.js";
import {
  ALGORITHMS,
  AUDIENCE,
  accessClaims,
  base64url,
  checkOver,
  flipSignatureBit,
  generateTestKey,
  headerFor,
  ISSUER,
  NOW,
  offThreadCheckOver,
  signToken,
  type TestKey,
  withSignature,
} from "./access-token-check.test-support.js";
import type { JwsAlgorithm } from "./jws-signature.js";

let keys: Record<JwsAlgorithm, TestKey>;
/** Every algorithm allowed, HS256 included: the key's own algorithm must still decide. */
let check: AccessTokenCheck;
/** Every input `check` judged in this file, with its verdict: the off-thread check must agree. */
const verdicts = new Map<unknown, { nowMs: number; result: AccessTokenCheckResult }>();

beforeAll(() => {
  keys = {
    ES256: generateTestKey("ES256"),
    RS256: generateTestKey("RS256"),
    EdDSA: generateTestKey("EdDSA"),
    HS256: generateTestKey("HS256"),
  };
  const onThread = checkOver(Object.values(keys));
  check = (token, nowMs) => {
    const result = onThread(token, nowMs);
    verdicts.set(token, { nowMs, result });
    return result;
  };
});

const refused = (token: unknown) => check(token as string, NOW);
const reasonOf = (token: unknown) => {
  const result = refused(token);
  return result.ok ? "accepted" : result.reason;
};

/** jose's verdict with the same rules (public-key algorithms only). */
async function joseAccepts(token: string): Promise<boolean> {
  const jwks = ["ES256", "RS256", "EdDSA"].map((alg) => {
    const key = keys[alg as JwsAlgorithm];
    return { ...(key.verificationKey.export({ format: "jwk" }) as JWK), kid: key.kid, alg };
  });
  try {
    await jwtVerify(token, createLocalJWKSet({ keys: jwks }), {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ["ES256", "RS256", "EdDSA"],
      typ: "at+jwt",
      currentDate: new Date(NOW),
      requiredClaims: ["sub", "jti", "iat", "exp"],
    });
    return true;
  } catch {
    return false;
  }
}

describe("tokens Portcullis issues", () => {
  it.each(ALGORITHMS)("accepts a %s token signed by its key, and hands back its claims", async (alg) => {
    const claims = accessClaims(NOW, { scope: "reports:read" });
    const token = signToken(keys[alg], headerFor(keys[alg]), claims);
    const result = check(token, NOW);
    expect(result).toEqual({ ok: true, claims });
    if (alg !== "HS256") expect(await joseAccepts(token)).toBe(true);
  });

  it("accepts an audience list naming us, the application/at+jwt type, a client_id and no scope", () => {
    const key = keys.ES256;
    for (const token of [
      signToken(key, headerFor(key), accessClaims(NOW, { aud: ["other", AUDIENCE] })),
      signToken(key, headerFor(key, { typ: "application/at+jwt" })),
      signToken(key, headerFor(key, { typ: "AT+JWT" })),
      signToken(key, headerFor(key), accessClaims(NOW, { client_id: "client-1" })),
    ])
      expect(reasonOf(token)).toBe("accepted");
  });
});

describe("alg none and algorithm confusion (RFC 8725 §2.1, §3.1)", () => {
  it.each(["none", "None", "NONE", "nOnE"])("refuses alg %s, with or without a signature", (alg) => {
    const key = keys.ES256;
    const unsigned = `${base64url(headerFor(key, { alg }))}.${base64url(accessClaims())}.`;
    expect(reasonOf(unsigned)).toBe("malformed");
    const genuine = signToken(key);
    const relabelled = `${base64url(headerFor(key, { alg }))}.${genuine.split(".").slice(1).join(".")}`;
    expect(reasonOf(relabelled)).toBe("algorithm");
  });

  it("refuses algorithms outside the list and other spellings of listed ones", () => {
    const strict = checkOver([keys.ES256]);
    for (const alg of ["es256", "ES384", "ES512", "PS256", "RS256", "HS256", "EdDSA", "Ed25519", ""]) {
      const token = signToken(keys.ES256, headerFor(keys.ES256, { alg }));
      expect(strict(token, NOW)).toEqual({ ok: false, reason: "algorithm" });
    }
  });

  it("refuses a genuine signature labelled with another allowed algorithm", () => {
    for (const alg of ["RS256", "EdDSA", "HS256"])
      expect(reasonOf(signToken(keys.ES256, headerFor(keys.ES256, { alg })))).toBe("algorithm");
  });

  describe.each(["ES256", "RS256", "EdDSA"] as const)("HS256 keyed with the %s public key", (alg) => {
    const serialisations = (publicKey: KeyObject): Record<string, Buffer> => {
      const jwk = publicKey.export({ format: "jwk" });
      const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
      return {
        "JWK JSON": Buffer.from(JSON.stringify(jwk)),
        "PEM SPKI": Buffer.from(pem),
        "PEM SPKI without the final newline": Buffer.from(pem.trimEnd()),
        "PEM SPKI with CRLF": Buffer.from(pem.replaceAll("\n", "\r\n")),
        "DER SPKI": publicKey.export({ type: "spki", format: "der" }),
        ...(alg === "RS256"
          ? { "PEM PKCS#1": Buffer.from(publicKey.export({ type: "pkcs1", format: "pem" }).toString()) }
          : {}),
      };
    };

    it("is refused whatever the serialisation, under the key's kid", () => {
      const key = keys[alg];
      for (const secret of Object.values(serialisations(key.verificationKey))) {
        const token = signToken(key, headerFor(key, { alg: "HS256" }), accessClaims(), "HS256", secret);
        expect(reasonOf(token)).toBe("algorithm");
      }
    });
  });

  it("refuses an RS256 signature under the ES256 key's kid", () => {
    const token = signToken(
      keys.ES256,
      headerFor(keys.ES256, { alg: "RS256" }),
      accessClaims(),
      "RS256",
      keys.RS256.signingKey,
    );
    expect(reasonOf(token)).toBe("algorithm");
  });

  it("never verifies an HMAC with a public key, nor a signature with a secret, whatever the entry claims", () => {
    const mislabelled = checkOver([{ ...keys.ES256, alg: "HS256" }]);
    const token = signToken(
      keys.ES256,
      headerFor(keys.ES256, { alg: "HS256" }),
      accessClaims(),
      "HS256",
      "x",
    );
    expect(mislabelled(token, NOW)).toEqual({ ok: false, reason: "signature" });
    const secretAsEs = checkOver([{ ...keys.HS256, alg: "ES256" }]);
    expect(
      secretAsEs(
        signToken({ ...keys.HS256, alg: "ES256" }, undefined, undefined, "ES256", keys.ES256.signingKey),
        NOW,
      ),
    ).toEqual({
      ok: false,
      reason: "signature",
    });
  });
});

describe("HS256 with an empty or guessed secret (CVE-2025-65945 class)", () => {
  it("refuses tokens signed with an empty or guessed secret, under our kid or none", () => {
    const key = keys.HS256;
    for (const secret of ["", "secret", "undefined", "null", key.kid]) {
      for (const header of [
        headerFor(key),
        headerFor(key, { kid: "" }),
        headerFor(key, { kid: undefined }),
      ]) {
        expect(reasonOf(signToken(key, header, accessClaims(), "HS256", secret))).not.toBe("accepted");
      }
    }
  });
});

describe("key material named by the token (RFC 8725 §3.10)", () => {
  const attacker = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const attackerJwk = attacker.publicKey.export({ format: "jwk" });
  const es = (header: Record<string, unknown>, signingKey: KeyObject = keys.ES256.signingKey) =>
    signToken(keys.ES256, headerFor(keys.ES256, header), accessClaims(), "ES256", signingKey);

  it.each([
    ["jwk", attackerJwk],
    ["jku", "https://attacker.example/jwks.json"],
    ["x5u", "https://attacker.example/cert.pem"],
    ["x5c", ["MIIBszCCAVmgAwIBAgIUQ"]],
    ["crit", ["exp"]],
    ["jku", null],
  ])("refuses a %s header, even on a token our own key signed", (name, value) => {
    expect(reasonOf(es({ [name]: value }))).toBe("header");
    expect(reasonOf(es({ [name]: value }, attacker.privateKey))).toBe("header");
  });

  it("refuses an unknown kid, with no fallback to another key", () => {
    expect(reasonOf(es({ kid: "unknown-kid" }))).toBe("unknown_key");
  });

  it.each(["../../etc/passwd", "' OR 1=1 --", "/dev/null", "", "a".repeat(65), "kid\u0000"])(
    "refuses the injected kid %j before any lookup",
    (kid) => {
      const looked: string[] = [];
      const spying = checkOver([keys.ES256], {
        findKey: (name) => {
          looked.push(name);
          return undefined;
        },
      });
      expect(spying(es({ kid }), NOW)).toEqual({ ok: false, reason: "header" });
      expect(looked).toEqual([]);
    },
  );

  it.each(["__proto__", "constructor", "toString"])(
    "treats the kid %s as a plain name that names no key",
    (kid) => {
      expect(reasonOf(es({ kid }))).toBe("unknown_key");
    },
  );

  it.each([42, null, [""], {}, true, undefined])("refuses a kid that is not a string: %j", (kid) => {
    expect(reasonOf(es({ kid }))).toBe("header");
  });
});

describe("signatures", () => {
  it("refuses a flipped bit, another key's signature and a changed payload", async () => {
    const genuine = signToken(keys.ES256);
    expect(reasonOf(flipSignatureBit(genuine))).toBe("signature");
    expect(reasonOf(signToken(generateTestKey("ES256", keys.ES256.kid)))).toBe("signature");
    for (const alg of ALGORITHMS) {
      const [header, , signature] = signToken(keys[alg]).split(".");
      const escalated = base64url(accessClaims(NOW, { roles: ["admin"] }));
      expect(reasonOf(`${header}.${escalated}.${signature}`)).toBe("signature");
    }
    expect(await joseAccepts(flipSignatureBit(genuine))).toBe(false);
  });

  it("refuses ES256 r = 0 or s = 0 (CVE-2022-21449 class), DER, and wrong lengths", () => {
    const genuine = signToken(keys.ES256);
    const signature = Buffer.from(genuine.split(".")[2] ?? "", "base64url");
    const header = base64url(headerFor(keys.ES256));
    const payload = base64url(accessClaims());
    const der = sign("sha256", Buffer.from(`${header}.${payload}`), {
      key: keys.ES256.signingKey,
      dsaEncoding: "der",
    });
    for (const bad of [
      Buffer.alloc(64),
      Buffer.concat([Buffer.alloc(32), signature.subarray(32)]),
      Buffer.concat([signature.subarray(0, 32), Buffer.alloc(32)]),
      signature.subarray(0, 63),
      Buffer.concat([signature, Buffer.alloc(1)]),
    ])
      expect(reasonOf(withSignature(genuine, bad))).toBe("signature");
    expect(reasonOf(withSignature(genuine, "MAYCAQACAQA"))).toBe("signature");
    expect(reasonOf(`${header}.${payload}.${der.toString("base64url")}`)).toBe("signature");
  });

  it("refuses zero signatures for EdDSA, RS256 and HS256 too", () => {
    for (const alg of ["EdDSA", "RS256", "HS256"] as const) {
      for (const length of [32, 64, 256, 384])
        expect(reasonOf(withSignature(signToken(keys[alg]), Buffer.alloc(length)))).toBe("signature");
    }
  });
});

describe("claims (RFC 9068 §2.2, RFC 8725 §3.8–3.9)", () => {
  const es = (overrides: Record<string, unknown>, nowMs = NOW) =>
    signToken(keys.ES256, headerFor(keys.ES256), accessClaims(nowMs, overrides));

  it.each([
    ["another issuer", { iss: "https://evil.test" }, "issuer"],
    ["another audience", { aud: "https://other.test" }, "audience"],
    ["an audience list without us", { aud: ["https://other.test"] }, "audience"],
    ["no sid (not a session's token)", { sid: undefined }, "claims"],
    ["no jti", { jti: undefined }, "claims"],
    ["an empty sub", { sub: "" }, "claims"],
    ["a numeric sub", { sub: 1 }, "claims"],
    ["roles that are not strings", { roles: "admin" }, "claims"],
    ["amr with a number", { amr: ["pwd", 1] }, "claims"],
    ["a numeric scope", { scope: 1 }, "claims"],
    ["an empty client_id", { client_id: "" }, "claims"],
    ["a string exp", { exp: "9999999999" }, "claims"],
    ["no auth_time", { auth_time: undefined }, "claims"],
    ["a string nbf", { nbf: "0" }, "claims"],
    ["a cnf binding (refused by this check's options)", { cnf: { jkt: "0ZcOCORZNYy" } }, "bound"],
  ])("refuses %s", async (_name, overrides, reason) => {
    const token = es(overrides);
    expect(reasonOf(token)).toBe(reason);
  });

  it.each([
    ["expired a second ago", NOW - 901_000, {}, "expired"],
    ["expiring now", NOW - 900_000, {}, "expired"],
    ["issued two minutes in the future", NOW + 120_000, {}, "not_yet_valid"],
    ["not before an hour from now", NOW, { nbf: NOW / 1000 + 3600 }, "not_yet_valid"],
  ] as const)("refuses a token %s, as jose does", async (_name, issuedAt, overrides, reason) => {
    const token = es(overrides, issuedAt);
    expect(reasonOf(token)).toBe(reason);
    if (reason === "expired") expect(await joseAccepts(token)).toBe(false);
  });

  it("accepts issuance up to a minute ahead and nbf up to five seconds ahead (clock skew)", () => {
    expect(reasonOf(es({}, NOW + 59_000))).toBe("accepted");
    expect(reasonOf(es({ nbf: NOW / 1000 + 4 }))).toBe("accepted");
  });

  it("honours the exp leeway it was given", () => {
    const lenient = checkOver([keys.ES256], { expLeewayMs: 30_000 });
    expect(lenient(es({}, NOW - 920_000), NOW).ok).toBe(true);
    expect(lenient(es({}, NOW - 930_000), NOW)).toEqual({ ok: false, reason: "expired" });
  });

  it("accepts a DPoP binding when told so, and still refuses any other", () => {
    const dpop = checkOver([keys.ES256], { confirmation: "dpop" });
    expect(dpop(es({ cnf: { jkt: "0ZcOCORZNYy" } }), NOW).ok).toBe(true);
    for (const cnf of [{ "x5t#S256": "abc" }, { jkt: "" }, "jkt", null])
      expect(dpop(es({ cnf }), NOW)).toEqual({ ok: false, reason: "bound" });
  });

  it("reads claims and headers only from own properties, even with Object.prototype polluted", () => {
    const token = es({ sid: undefined });
    const noKid = signToken(keys.ES256, headerFor(keys.ES256, { kid: undefined }));
    const proto = Object.prototype as Record<string, unknown>;
    proto.sid = "polluted";
    proto.kid = keys.ES256.kid;
    try {
      expect(reasonOf(token)).toBe("claims");
      expect(reasonOf(noKid)).toBe("header");
    } finally {
      delete proto.sid;
      delete proto.kid;
    }
  });
});

describe("encodings (RFC 7515 §2, RFC 8725 §2.6 and §3.7)", () => {
  it("refuses typ JWT, no typ, and an array payload", () => {
    expect(reasonOf(signToken(keys.ES256, headerFor(keys.ES256, { typ: "JWT" })))).toBe("type");
    expect(reasonOf(signToken(keys.ES256, headerFor(keys.ES256, { typ: undefined })))).toBe("type");
    expect(reasonOf(signToken(keys.ES256, headerFor(keys.ES256), [1]))).toBe("malformed");
  });

  it("refuses a non-canonical last character, padding, and stray characters", () => {
    const genuine = signToken(keys.ES256);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    // 64 bytes = 85 characters + 1 carrying 4 bits: the low 2 bits of the last are spare.
    const last = genuine.at(-1) ?? "A";
    expect(reasonOf(`${genuine.slice(0, -1)}${alphabet[alphabet.indexOf(last) | 1]}`)).toBe("malformed");
    expect(reasonOf(`${genuine}=`)).toBe("malformed");
    expect(reasonOf(`${genuine.slice(0, -1)}+`)).toBe("malformed");
    const [header, payload, signature] = genuine.split(".");
    expect(reasonOf(`${header}=.${payload}.${signature}`)).toBe("malformed");
  });

  it("refuses a payload that is not valid UTF-8 or carries a byte-order mark, though signed", () => {
    const json = Buffer.from(JSON.stringify(accessClaims(NOW, { sub: "~~" })));
    expect(reasonOf(signToken(keys.ES256, headerFor(keys.ES256), json.toString("base64url")))).toBe(
      "accepted",
    );
    const invalid = Buffer.from(json);
    invalid[invalid.indexOf("~~")] = 0xff;
    expect(reasonOf(signToken(keys.ES256, headerFor(keys.ES256), invalid.toString("base64url")))).toBe(
      "malformed",
    );
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json]);
    expect(reasonOf(signToken(keys.ES256, headerFor(keys.ES256), bom.toString("base64url")))).toBe(
      "malformed",
    );
    const bomHeader = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(JSON.stringify(headerFor(keys.ES256))),
    ]);
    expect(reasonOf(signToken(keys.ES256, bomHeader.toString("base64url")))).toBe("malformed");
  });
});

describe("duplicate member names (RFC 7515 §5.2, RFC 7519 §4)", () => {
  /** The JSON text of `object` with `extra` members appended verbatim, names possibly repeated. */
  const withMembers = (object: Record<string, unknown>, extra: string) =>
    base64url(`${JSON.stringify(object).slice(0, -1)},${extra}}`);
  const key = () => keys.ES256;

  it("accepts each member once, and nested objects and arrays reusing names (control)", () => {
    const header = withMembers(headerFor(key()), '"x-a":{"kid":1,"alg":[{"alg":2}]}');
    const payload = withMembers(
      accessClaims(),
      '"ext":{"sub":"other","nested":{"sub":1}},"list":[{"sub":1},{"sub":2}]',
    );
    expect(reasonOf(signToken(key(), header, payload))).toBe("accepted");
  });

  it.each([
    ["two alg", '"alg":"ES256"'],
    ["two kid", () => `"kid":"${keys.ES256.kid}"`],
    ["two typ", '"typ":"at+jwt"'],
    ["a repeated name spelt with an escape", '"\\u0061lg":"ES256"'],
  ])("refuses a header with %s, though signed with our key", (_name, extra) => {
    const members = typeof extra === "function" ? extra() : extra;
    expect(reasonOf(signToken(key(), withMembers(headerFor(key()), members)))).toBe("malformed");
  });

  it.each([
    ["two sub", '"sub":"user_admin"'],
    ["two aud", `"aud":"${AUDIENCE}"`],
    ["two exp", `"exp":${NOW / 1000 + 86_400}`],
    ["two roles", '"roles":["admin"]'],
    ["a repeated name spelt with an escape", '"s\\u0075b":"user_admin"'],
    ["a repeated name inside a nested object", '"ext":{"a":1,"a":2}'],
    ["a repeated name inside an object in an array", '"list":[{"a":1},{"b":1,"b":2}]'],
    ["a repeated name with whitespace around the colon", '"sub" \n : "user_admin"'],
  ])("refuses a claim set with %s, though signed with our key", (_name, extra) => {
    expect(reasonOf(signToken(key(), headerFor(key()), withMembers(accessClaims(), extra)))).toBe(
      "malformed",
    );
  });
});

describe("garbage input", () => {
  it("refuses everything that is not a compact JWS of at most 8 KiB, without throwing, and fast", () => {
    const genuine = signToken(keys.ES256);
    const [header, payload, signature] = genuine.split(".") as [string, string, string];
    const inputs: unknown[] = [
      "",
      ".",
      "..",
      "a.b.c",
      "a..c",
      "x".repeat(100 * 1024),
      "a.b.c".repeat(20 * 1024),
      `${genuine}${"A".repeat(9 * 1024)}`,
      `${base64url("not json")}.${payload}.${signature}`,
      `${base64url("[]")}.${payload}.${signature}`,
      `${base64url("null")}.${payload}.${signature}`,
      `${base64url('"ES256"')}.${payload}.${signature}`,
      `${base64url("{")}.${payload}.${signature}`,
      `${genuine}.${signature}`,
      `${header}.${payload}`,
      ` ${genuine}`,
      `${genuine}\n`,
      `Bearer ${genuine}`,
      null,
      undefined,
      42,
      {},
      [genuine],
      { toString: () => genuine },
    ];
    expect(reasonOf(genuine)).toBe("accepted");
    for (const input of inputs) expect(reasonOf(input)).toBe("malformed");
    const started = performance.now();
    let refusals = 0;
    for (let round = 0; round < 200; round += 1) {
      for (const input of inputs) if (!refused(input).ok) refusals += 1;
    }
    expect(refusals).toBe(200 * inputs.length);
    // A generous bound: the real figure is a few milliseconds.
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("refuses bad options, naming every problem", () => {
    expect(() =>
      checkOver([], {
        issuer: "",
        audience: "",
        algorithms: ["none" as JwsAlgorithm],
        confirmation: "maybe" as "refuse",
        expLeewayMs: -1,
      }),
    ).toThrow(/issuer.*audience.*"none".*confirmation.*expLeewayMs/);
  });

  it("hands back its verdict for a public key of the ring exported and re-imported (control for jose)", () => {
    const reimported = createPublicKey({
      key: keys.ES256.verificationKey.export({ format: "jwk" }),
      format: "jwk",
    });
    const again = checkOver([{ ...keys.ES256, verificationKey: reimported }]);
    expect(again(signToken(keys.ES256), NOW).ok).toBe(true);
  });
});

describe("the off-thread check (signatures on libuv's thread pool)", () => {
  // Last in the file: it replays every input the tests above gave the on-thread check.
  it("gives the same verdict, with the same reason, on every token of this file", async () => {
    expect(verdicts.size).toBeGreaterThan(100);
    const offThread = offThreadCheckOver(Object.values(keys));
    for (const [token, { nowMs, result }] of verdicts) {
      expect(await offThread(token as string, nowMs)).toEqual(result);
    }
  });

  it("refuses, without rejecting, a key bound to an algorithm it cannot serve (an EC key as RS256)", async () => {
    const offThread = offThreadCheckOver([keys.ES256], {
      findKey: () => ({ alg: "RS256", key: keys.ES256.verificationKey }),
      algorithms: ["RS256"],
    });
    const token = signToken(keys.ES256, { ...headerFor(keys.ES256), alg: "RS256" }, accessClaims(NOW));
    expect(await offThread(token, NOW)).toEqual({ ok: false, reason: "signature" });
  });
});
