/**
 * Invariant: the middleware accepts exactly the access tokens Portcullis would — signed by a key
 * of the JWKS with the algorithm that key is bound to, typed `at+jwt`, for our issuer and
 * audience, unexpired, with every claim Portcullis puts there, naming no member twice — and
 * refuses every forgery of RFC 8725 and security.md §2.1, whether verified on libuv's thread pool
 * (`verify`), synchronously (`verifyNow`) or answered from its cache (`verifyCached`). Each forgery class is tested once against the shared check, in
 * `@portcullis/token-verifier`; this suite proves the middleware runs it, end to end through a
 * JWKS fetched over HTTP, with `jose` as the oracle: each token the middleware accepts, jose
 * accepts too, and each standard refusal is jose's as well.
 */
import { constants, createHmac, sign } from "node:crypto";
import { createLocalJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Algorithm } from "./types.js";
import { createTokenVerifier, type TokenVerifier } from "./verifier.js";
import {
  AUDIENCE,
  accessClaims,
  es256Signer,
  forge,
  generateTestKey,
  ISSUER,
  type JwksServer,
  signWithJose,
  startJwksServer,
  type TestKey,
} from "./verifier.test-support.js";

const NOW = Date.UTC(2026, 5, 1, 12);
const clock = { now: () => NOW };

let server: JwksServer;
let keys: Record<Algorithm, TestKey>;
let verifier: TokenVerifier;

beforeAll(async () => {
  keys = {
    ES256: generateTestKey("ES256"),
    RS256: generateTestKey("RS256"),
    EdDSA: generateTestKey("EdDSA"),
  };
  server = await startJwksServer(Object.values(keys).map((key) => key.jwk));
  verifier = createTokenVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUrl: server.url,
    algorithms: ["ES256", "RS256", "EdDSA"],
    clock,
  });
  await verifier.ready();
});
afterAll(() => server.close());

/** jose's verdict with the same rules: typ, issuer, audience, algorithms, time. */
async function joseAccepts(token: string): Promise<boolean> {
  try {
    await jwtVerify(token, createLocalJWKSet({ keys: Object.values(keys).map((key) => key.jwk) }), {
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

async function verdict(token: string) {
  const first = await verifier.verify(token);
  // The same verdict from the synchronous path (and the cache, for an accepted token).
  const again = verifier.verifyNow(token);
  expect(again).toEqual(first);
  // The adapters' fast path answers only from the cache: what was accepted, never a forgery.
  if (first.ok) expect(verifier.verifyCached(token)).toEqual(first);
  else if (first.reason !== "malformed") expect(verifier.verifyCached(token)).toBeUndefined();
  return first;
}

describe("tokens Portcullis would issue", () => {
  it.each(["ES256", "RS256", "EdDSA"] as const)(
    "accepts a %s token signed by a published key",
    async (alg) => {
      const token = await signWithJose(keys[alg], accessClaims(NOW, { scope: "reports:read" }));
      const result = await verdict(token);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.auth).toMatchObject({
        via: "token",
        userId: "user-1",
        sessionId: "session-1",
        roles: ["user"],
        scopes: ["reports:read"],
        amr: ["pwd"],
        authTime: Math.floor(NOW / 1000),
      });
      expect(Object.isFrozen(result.auth) && Object.isFrozen(result.auth.roles)).toBe(true);
      // The claims carry no prototype, so a polluted Object.prototype cannot lend them a claim.
      expect(Object.isFrozen(result.auth.claims) && Object.getPrototypeOf(result.auth.claims)).toBe(null);
      expect(await joseAccepts(token)).toBe(true);
    },
  );

  it("refuses a sender-constrained token (cnf), whose proof of possession it cannot check", async () => {
    const token = await signWithJose(
      keys.ES256,
      accessClaims(NOW, { cnf: { jkt: "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I" } }),
    );
    expect(await verdict(token)).toEqual({ ok: false, code: "invalid_token", reason: "bound" });
  });

  it("accepts an audience list naming us, the application/at+jwt type, and a token without scope (which carries none)", async () => {
    const list = await signWithJose(keys.ES256, accessClaims(NOW, { aud: ["other", AUDIENCE] }));
    const long = await signWithJose(keys.ES256, accessClaims(NOW), { typ: "application/at+jwt" });
    for (const token of [list, long]) {
      const result = await verdict(token);
      expect(result.ok, JSON.stringify(result)).toBe(true);
      if (result.ok) expect(result.auth.scopes).toEqual([]);
    }
  });
});

describe("refusals jose makes too", () => {
  const cases: Array<[string, () => Promise<string> | string, string]> = [
    [
      "alg none",
      () =>
        `${forge({ alg: "none", typ: "at+jwt", kid: keys.ES256.kid }, accessClaims(NOW), () => Buffer.alloc(0))}`,
      "malformed",
    ],
    [
      "alg none with a signature",
      () =>
        forge({ alg: "none", typ: "at+jwt", kid: keys.ES256.kid }, accessClaims(NOW), () => Buffer.from("x")),
      "algorithm",
    ],
    [
      "HS256 keyed with the published public key (algorithm confusion)",
      () =>
        forge({ alg: "HS256", typ: "at+jwt", kid: keys.RS256.kid }, accessClaims(NOW), (input) =>
          createHmac("sha256", keys.RS256.publicKey.export({ format: "pem", type: "spki" }))
            .update(input)
            .digest(),
        ),
      "algorithm",
    ],
    [
      "a signature byte flipped",
      async () => flip(await signWithJose(keys.ES256, accessClaims(NOW))),
      "signature",
    ],
    [
      "signed by a key not in the set",
      () => signWithJose(generateTestKey("ES256", keys.ES256.kid), accessClaims(NOW)),
      "signature",
    ],
    [
      "another issuer",
      () => signWithJose(keys.ES256, accessClaims(NOW, { iss: "https://evil.test" })),
      "issuer",
    ],
    [
      "another audience",
      () => signWithJose(keys.ES256, accessClaims(NOW, { aud: "https://other.test" })),
      "audience",
    ],
    ["expired a second ago", () => signWithJose(keys.ES256, accessClaims(NOW - 901_000)), "expired"],
    ["expiring now", () => signWithJose(keys.ES256, accessClaims(NOW - 900_000)), "expired"],
    [
      "not before an hour from now",
      () => signWithJose(keys.ES256, accessClaims(NOW, { nbf: NOW / 1000 + 3600 })),
      "not_yet_valid",
    ],
    [
      "typ JWT (an ID token or another JWT)",
      () => signWithJose(keys.ES256, accessClaims(NOW), { typ: "JWT" }),
      "type",
    ],
    [
      "no typ",
      () =>
        forge({ alg: "ES256", kid: keys.ES256.kid }, accessClaims(NOW), es256Signer(keys.ES256.privateKey)),
      "type",
    ],
    [
      "crit naming an extension",
      () =>
        forge(
          { alg: "ES256", typ: "at+jwt", kid: keys.ES256.kid, crit: ["urn:x"], "urn:x": 1 },
          accessClaims(NOW),
          es256Signer(keys.ES256.privateKey),
        ),
      "header",
    ],
    [
      "an array payload",
      () =>
        forge({ alg: "ES256", typ: "at+jwt", kid: keys.ES256.kid }, [1], es256Signer(keys.ES256.privateKey)),
      "malformed",
    ],
  ];

  it.each(cases)("refuses %s", async (_name, make, reason) => {
    const token = await make();
    expect(await verdict(token)).toEqual({ ok: false, code: "invalid_token", reason });
    expect(await joseAccepts(token)).toBe(false);
  });
});

describe("refusals stricter than jose", () => {
  const es = (header: Record<string, unknown>, payload: unknown = accessClaims(NOW)) =>
    forge(
      { alg: "ES256", typ: "at+jwt", kid: keys.ES256.kid, ...header },
      payload,
      es256Signer(keys.ES256.privateKey),
    );

  /** The JSON text of `object` with `extra` members appended verbatim, names possibly repeated. */
  const withMembers = (object: Record<string, unknown>, extra: string) =>
    Buffer.from(`${JSON.stringify(object).slice(0, -1)},${extra}}`).toString("base64url");
  const signed = (header: string, payload: string) => {
    const input = `${header}.${payload}`;
    return `${input}.${es256Signer(keys.ES256.privateKey)(Buffer.from(input, "latin1")).toString("base64url")}`;
  };
  const header = () => ({ alg: "ES256", typ: "at+jwt", kid: keys.ES256.kid });
  const encoded = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

  const cases: Array<[string, () => Promise<string> | string, string]> = [
    // RFC 8725 §3.10 / §2.9: the token never chooses (or makes us fetch) its key.
    ["a jwk header", () => es({ jwk: keys.ES256.jwk }), "header"],
    ["a kid that is a path", () => es({ kid: "../../../dev/null" }), "header"],
    [
      "an RS256 token naming the ES256 key",
      () =>
        forge({ alg: "RS256", typ: "at+jwt", kid: keys.ES256.kid }, accessClaims(NOW), (input) =>
          sign("sha256", input, { key: keys.RS256.privateKey, padding: constants.RSA_PKCS1_PADDING }),
        ),
      "algorithm",
    ],
    // CVE-2022-21449 class.
    [
      "an all-zero ES256 signature",
      () => `${es({}).split(".").slice(0, 2).join(".")}.${Buffer.alloc(64).toString("base64url")}`,
      "signature",
    ],
    ["no sid (not a session's token)", () => es({}, accessClaims(NOW, { sid: undefined })), "claims"],
    [
      "a non-canonical base64url signature",
      () => `${es({}).slice(0, -1)}${nonCanonicalLast(es({}))}`,
      "malformed",
    ],
    // RFC 7515 §5.2 / RFC 7519 §4: JSON.parse keeps the last of two members, another parser the first.
    [
      "a claim set naming sub twice, though signed",
      () => signed(encoded(header()), withMembers(accessClaims(NOW), '"sub":"admin"')),
      "malformed",
    ],
    [
      "a claim set naming roles twice, spelt with an escape",
      () => signed(encoded(header()), withMembers(accessClaims(NOW), '"r\\u006fles":["admin"]')),
      "malformed",
    ],
    [
      "a header naming alg twice, though signed",
      () => signed(withMembers(header(), '"alg":"ES256"'), encoded(accessClaims(NOW))),
      "malformed",
    ],
    ["a 9 KiB token", () => `${es({})}${"A".repeat(9 * 1024)}`, "malformed"],
  ];

  it.each(cases)("refuses %s", async (_name, make, reason) => {
    expect(await verdict(await make())).toEqual({ ok: false, code: "invalid_token", reason });
  });
});

describe("the verified-token cache", () => {
  it("still refuses a cached token once it has expired", async () => {
    let now = NOW;
    const local = createTokenVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: server.url,
      clock: { now: () => now },
    });
    const token = await signWithJose(keys.ES256, accessClaims(NOW));
    expect((await local.verify(token)).ok).toBe(true);
    now += 899_000;
    expect(local.verifyNow(token)?.ok).toBe(true);
    now += 1_000;
    expect(local.verifyNow(token)).toEqual({ ok: false, code: "invalid_token", reason: "expired" });
  });

  it("never answers a token differing in one character from the cache", async () => {
    const token = await signWithJose(keys.ES256, accessClaims(NOW));
    expect((await verifier.verify(token)).ok).toBe(true);
    expect((await verifier.verify(flip(token))).ok).toBe(false);
  });
});

describe("options", () => {
  it("refuses bad options at start-up, naming every problem", () => {
    expect(() =>
      createTokenVerifier({
        issuer: "",
        audience: "",
        jwksUrl: "file:///etc/passwd",
        algorithms: ["HS256" as Algorithm],
        clockToleranceSeconds: 600,
      }),
    ).toThrow(/issuer.*audience.*jwksUrl.*HS256.*clockToleranceSeconds/);
  });
});

function flip(token: string): string {
  const dot = token.lastIndexOf(".");
  const signature = Buffer.from(token.slice(dot + 1), "base64url");
  signature[5] = (signature[5] ?? 0) ^ 1;
  return `${token.slice(0, dot + 1)}${signature.toString("base64url")}`;
}

/** The last character of a 64-byte signature's base64url with a non-zero trailing bit set. */
function nonCanonicalLast(token: string): string {
  const last = token.at(-1) ?? "A";
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  // 64 bytes = 85 chars + 1 char carrying 4 bits: the low 2 bits of the last char are padding.
  return alphabet[alphabet.indexOf(last) | 1] ?? "B";
}
