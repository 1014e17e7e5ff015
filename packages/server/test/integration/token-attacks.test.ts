/**
 * Invariant: every known way to forge, stretch or misplace an access token is refused, with
 * `401 invalid_token` and an RFC 6750 challenge, by both places that accept one — Portcullis's own
 * API (`GET /v1/me`) and the OpenID provider's userinfo (`/oauth2/userinfo`) — and no attack token
 * reaches a log line. Each attack is checked against a control that the same target accepts, so a
 * refusal is due to the one spoiled part. Headers that name key material elsewhere (`jku`, `x5u`,
 * `jwk`, `x5c`) are never followed: a local server they point at receives no request.
 *
 * The token-attack suite of issue 16 (security.md §2.1; RFC 8725; RFC 7515 §5.2; CVE-2022-21449).
 * The verifier's own unit suite (`src/domain/tokens/access-token.forgery.test.ts`), the
 * middleware's (`packages/middleware/src/verifier.forgery.test.ts`) and the claim-by-claim checks
 * of `access-token.validation.test.ts` cover the same classes one layer down.
 */
import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  sign,
} from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { decodeJwt } from "jose";
import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptSecretValue, deriveKeyEncryptionKey } from "../../src/domain/tokens/key-encryption.js";
import { send } from "../support/accounts.js";
import { discover } from "../support/openid-relying-party.js";
import { expectProblem } from "../support/problem-assertions.js";
import {
  bearer,
  createManualClock,
  createTestApp,
  TEST_SECRET,
  type TestApp,
  type TokenResponseBody,
} from "../support/test-app.js";

type Target = "api" | "userinfo";
const TARGETS: readonly Target[] = ["api", "userinfo"];
const PATHS: Record<Target, string> = { api: "/v1/me", userinfo: "/oauth2/userinfo" };
/** The order of P-256 (SEC 2 §2.4.2): ECDSA needs 0 < r, s < n. */
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

type Claims = Record<string, unknown>;
type Header = Record<string, unknown>;

const b64url = (value: string | Buffer): string =>
  (typeof value === "string" ? Buffer.from(value, "utf8") : value).toString("base64url");
const json = (value: object | string) => (typeof value === "string" ? value : JSON.stringify(value));
const scalar = (value: bigint) => Buffer.from(value.toString(16).padStart(64, "0"), "hex");

/** A JWS over the exact signing input given, signed ES256 (raw R || S) with `key`. */
function signInput(signingInput: string, key: KeyObject): string {
  const signature = sign("sha256", Buffer.from(signingInput, "latin1"), { key, dsaEncoding: "ieee-p1363" });
  return `${signingInput}.${b64url(signature)}`;
}

/** Header and payload as objects or as verbatim JSON text (for duplicate members), signed ES256. */
const signJws = (header: Header | string, payload: Claims | string, key: KeyObject) =>
  signInput(`${b64url(json(header))}.${b64url(json(payload))}`, key);

/** A compact JWS from parts with whatever signature bytes are given. */
const compact = (header: Header, payload: Claims, signature: Buffer | string) =>
  `${b64url(json(header))}.${b64url(json(payload))}.${typeof signature === "string" ? signature : b64url(signature)}`;

/** The server's current signing key, opened from its sealed row as an operator (or a thief of the database and the secret) could. */
async function serverSigningKey(t: TestApp): Promise<{ kid: string; privateKey: KeyObject }> {
  const row = await t.database.db
    .selectFrom("signing_keys")
    .selectAll()
    .where("retired_at", "is", null)
    .executeTakeFirstOrThrow();
  const der = decryptSecretValue(deriveKeyEncryptionKey(TEST_SECRET), row.private_key_sealed);
  return { kid: row.kid, privateKey: createPrivateKey({ key: der, format: "der", type: "pkcs8" }) };
}

/** Log lines and tokens shared by a whole app: no line may contain any token presented. */
function createLogWatch() {
  const lines: string[] = [];
  const tokens = new Set<string>();
  return {
    stream: { write: (line: string) => void lines.push(line) },
    lines,
    tokens,
    /** The whole token and each segment long enough to be its own (a header alone is not). */
    fragments(): string[] {
      return [...tokens].flatMap((token) => [token, ...token.split(".").filter((part) => part.length >= 40)]);
    },
  };
}

type LogWatch = ReturnType<typeof createLogWatch>;

async function present(t: TestApp, watch: LogWatch, target: Target, token: string) {
  watch.tokens.add(token);
  return t.get(PATHS[target], bearer(token));
}

async function expectAccepted(t: TestApp, watch: LogWatch, target: Target, token: string) {
  const response = await present(t, watch, target, token);
  expect(response.statusCode, `${target}: ${response.body}`).toBe(200);
}

async function expectRefused(t: TestApp, watch: LogWatch, target: Target, token: string) {
  const response = await present(t, watch, target, token);
  if (target === "api") expectProblem(response, 401, "invalid_token");
  else {
    expect(response.statusCode, `${target}: ${response.body}`).toBe(401);
    expect(response.json()).toMatchObject({ error: "invalid_token" });
  }
  expect(response.headers["www-authenticate"]).toMatch(/^Bearer\b.*error="invalid_token"/);
}

function expectNoTokenLogged(watch: LogWatch) {
  const fragments = watch.fragments();
  expect(fragments.length).toBeGreaterThan(0);
  const leaks = watch.lines.filter((line) => fragments.some((fragment) => line.includes(fragment)));
  expect(leaks).toEqual([]);
}

describe("token attacks", () => {
  const watch = createLogWatch();
  let t: TestApp;
  let session: TokenResponseBody;
  let victim: TokenResponseBody;
  let kid: string;
  let privateKey: KeyObject;
  let jwk: JsonWebKey;
  let baseClaims: Claims;
  let jti = 0;

  // A server the token's own headers point at; any request reaching it is a failure.
  let lure: Server;
  let lureUrl: string;
  let lureRequests = 0;
  const attacker = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const attackerJwk = { ...attacker.publicKey.export({ format: "jwk" }), kid: "attacker", alg: "ES256" };

  /** The claims a target accepts: the user's session, and for userinfo a client's `openid` grant. */
  function claimsFor(target: Target, changes: Claims = {}): Claims {
    const claims: Claims = {
      ...baseClaims,
      jti: `attack-${++jti}`,
      ...(target === "userinfo" ? { client_id: "attacks-app", scope: "openid profile email" } : {}),
    };
    for (const [name, value] of Object.entries(changes)) {
      if (value === undefined) delete claims[name];
      else claims[name] = value;
    }
    return claims;
  }
  const ourHeader = (changes: Header = {}): Header => ({ alg: "ES256", typ: "at+jwt", kid, ...changes });
  const withOurKey = (target: Target, header: Header = {}, claims: Claims = {}) =>
    signJws(ourHeader(header), claimsFor(target, claims), privateKey);
  const refused = (target: Target, token: string) => expectRefused(t, watch, target, token);

  beforeAll(async () => {
    lure = createServer((_request, response) => {
      lureRequests += 1;
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ keys: [attackerJwk] }));
    });
    await new Promise<void>((resolve) => lure.listen(0, "127.0.0.1", resolve));
    lureUrl = `http://127.0.0.1:${(lure.address() as AddressInfo).port}`;
    // The lure answers (so a verifier that followed `jku` would find the attacker's key there).
    expect((await fetch(`${lureUrl}/jwks.json`)).status).toBe(200);
    lureRequests = 0;

    t = await createTestApp({
      env: { PORTCULLIS_LOG_LEVEL: "trace", PORTCULLIS_SCOPES: "reports:read" },
      logStream: watch.stream,
    });
    session = await t.signUp();
    victim = await t.signUp();
    ({ kid, privateKey } = await serverSigningKey(t));
    baseClaims = decodeJwt(session.accessToken);
    const published = (await t.get("/.well-known/jwks.json"))
      .json<{ keys: JsonWebKey[] }>()
      .keys.find((key) => key.kid === kid);
    if (published === undefined) throw new Error("the current key is not in the JWKS");
    jwk = published;
  });
  afterAll(async () => {
    await t?.close();
    await new Promise((resolve) => lure?.close(resolve));
  });

  describe.each(TARGETS)("%s", (target) => {
    it("accepts a token signed with the server's key and the claims it issues (control)", async () => {
      await expectAccepted(t, watch, target, withOurKey(target));
      if (target === "api") await expectAccepted(t, watch, target, session.accessToken);
    });

    it.each(["none", "None", "NONE", "nOnE"])(
      "refuses alg %s, unsigned or with a genuine signature",
      async (alg) => {
        const genuine = withOurKey(target);
        const [, payload, signature] = genuine.split(".") as [string, string, string];
        const header = b64url(json(ourHeader({ alg })));
        await refused(target, `${header}.${payload}.`);
        await refused(target, `${header}.${payload}.${signature}`);
        await refused(target, compact({ alg, typ: "at+jwt" }, claimsFor(target), ""));
      },
    );

    it("refuses HS256 keyed with the published public key as PEM, DER or JWK, with or without our kid", async () => {
      const publicKey = createPublicKey({ key: jwk, format: "jwk" });
      const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
      const secrets: Record<string, Buffer> = {
        "PEM SPKI": Buffer.from(pem),
        "PEM SPKI without its final newline": Buffer.from(pem.trimEnd()),
        "DER SPKI": publicKey.export({ type: "spki", format: "der" }),
        "JWK as published": Buffer.from(JSON.stringify(jwk)),
        "JWK required members": Buffer.from(
          JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }),
        ),
      };
      for (const secret of Object.values(secrets)) {
        for (const header of [ourHeader({ alg: "HS256" }), { alg: "HS256", typ: "at+jwt" }]) {
          const input = `${b64url(json(header))}.${b64url(json(claimsFor(target)))}`;
          await refused(target, `${input}.${b64url(createHmac("sha256", secret).update(input).digest())}`);
        }
      }
    });

    it.each([
      "../../etc/passwd",
      "../../../../../../dev/null",
      "..%2F..%2Fetc%2Fpasswd",
      "' OR '1'='1",
      "x' UNION SELECT private_key_sealed FROM signing_keys --",
      "x'; DROP TABLE signing_keys; --",
    ])("refuses the injected kid %j, and the key table is untouched", async (injected) => {
      const before = await t.database.db.selectFrom("signing_keys").select("kid").execute();
      await refused(target, withOurKey(target, { kid: injected }));
      // With the empty secret a lookup that fell through to "no key" would have used.
      const input = `${b64url(json(ourHeader({ alg: "HS256", kid: injected })))}.${b64url(json(claimsFor(target)))}`;
      await refused(
        target,
        `${input}.${b64url(createHmac("sha256", Buffer.alloc(0)).update(input).digest())}`,
      );
      expect(await t.database.db.selectFrom("signing_keys").select("kid").execute()).toEqual(before);
    });

    it("ignores jku, x5u, jwk and x5c pointing at the attacker: refused, and nothing is fetched", async () => {
      const x5c = [attacker.publicKey.export({ type: "spki", format: "der" }).toString("base64")];
      const elsewhere: Header[] = [
        { jku: `${lureUrl}/jwks.json` },
        { x5u: `${lureUrl}/cert.pem` },
        { jwk: attackerJwk },
        { x5c },
        { jku: `${lureUrl}/jwks.json`, x5u: `${lureUrl}/cert.pem`, jwk: attackerJwk, x5c },
      ];
      for (const extra of elsewhere) {
        for (const named of [kid, "attacker"]) {
          // The attacker's key, under our kid or the one its JWKS publishes.
          const header = ourHeader({ ...extra, kid: named });
          await refused(target, signJws(header, claimsFor(target), attacker.privateKey));
        }
        // Even our own signature does not make a token with such a header acceptable.
        await refused(target, withOurKey(target, extra));
      }
      expect(lureRequests).toBe(0);
    });

    it("refuses crit naming an extension it does not implement, though signed with our key", async () => {
      await refused(
        target,
        withOurKey(target, { crit: ["x-portcullis-unknown"], "x-portcullis-unknown": true }),
      );
      await refused(target, withOurKey(target, { crit: ["exp"] }));
      await refused(target, withOurKey(target, { crit: [] }));
    });

    it("refuses duplicate member names in the header or the claims, though signed with our key", async () => {
      const append = (object: object, extra: string) => `${JSON.stringify(object).slice(0, -1)},${extra}}`;
      const header = ourHeader();
      const claims = () => claimsFor(target);
      // Each would pass where the last duplicate wins (JSON.parse); two `sub` would make it the victim's.
      const forgeries: Array<[string, string]> = [
        [append(header, '"alg":"ES256"'), json(claims())],
        [append({ alg: "none", ...header }, '"alg":"ES256"'), json(claims())],
        [append(header, `"kid":"${kid}"`), json(claims())],
        [append(header, '"typ":"at+jwt"'), json(claims())],
        [json(header), append(claims(), `"sub":"${victim.user.id}"`)],
        [json(header), append(claims(), `"s\\u0075b":"${victim.user.id}"`)],
        [json(header), append(claims(), `"aud":${JSON.stringify(baseClaims.aud)}`)],
        [json(header), append(claims(), `"exp":${Math.floor(Date.now() / 1000) + 86_400}`)],
      ];
      for (const [forgedHeader, forgedClaims] of forgeries) {
        await refused(target, signJws(forgedHeader, forgedClaims, privateKey));
      }
    });

    describe("non-canonical base64url, each signed over its own signing input", () => {
      /** JSON text whose UTF-8 length is not a multiple of 3, so its base64url has trailing bits. */
      const unaligned = (value: object) => {
        let text = JSON.stringify(value);
        while (Buffer.byteLength(text) % 3 === 0) text += " ";
        return text;
      };
      /** The same bytes under another last character (non-zero trailing bits). */
      const otherLastChar = (segment: string) => {
        const bytes = Buffer.from(segment, "base64url");
        const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for (const char of alphabet) {
          const candidate = `${segment.slice(0, -1)}${char}`;
          if (candidate !== segment && Buffer.from(candidate, "base64url").equals(bytes)) return candidate;
        }
        throw new Error(`no alias for ${segment}`);
      };
      const padded = (segment: string) => `${segment}${"=".repeat((4 - (segment.length % 4)) % 4)}`;
      const standardAlphabet = (segment: string) => segment.replaceAll("-", "+").replaceAll("_", "/");

      // JSON text is ASCII: only `>`, `?`, `~` and DEL encode to `-` or `_`, and three `~` in a row
      // always do; an unknown header member and the `jti` carry them.
      const tildes = () => ({
        header: ourHeader({ "x-note": "~~~" }),
        claims: claimsFor(target, { jti: `~~~${++jti}` }),
      });

      it("accepts the canonical forms of the same texts (control)", async () => {
        const texts = tildes();
        const header = b64url(unaligned(texts.header));
        const payload = b64url(unaligned(texts.claims));
        await expectAccepted(t, watch, target, signInput(`${header}.${payload}`, privateKey));
      });

      it("refuses padding, the standard alphabet and stray trailing bits in header, payload or signature", async () => {
        const texts = tildes();
        const header = b64url(unaligned(texts.header));
        const payload = b64url(unaligned(texts.claims));
        expect(header).toMatch(/[-_]/);
        expect(payload).toMatch(/[-_]/);
        const spoiled = [padded, standardAlphabet, otherLastChar];
        for (const spoil of spoiled) {
          await refused(target, signInput(`${spoil(header)}.${payload}`, privateKey));
          await refused(target, signInput(`${header}.${spoil(payload)}`, privateKey));
        }
        // ECDSA signatures are random bytes: one with a `-` or `_` comes within a few tries.
        let token = signInput(`${header}.${payload}`, privateKey);
        for (let tries = 0; tries < 100 && !/[-_]/.test(token.split(".")[2] ?? ""); tries += 1)
          token = signInput(`${header}.${payload}`, privateKey);
        await expectAccepted(t, watch, target, token);
        const [, , signature = ""] = token.split(".");
        for (const spoil of spoiled) await refused(target, `${header}.${payload}.${spoil(signature)}`);
      });
    });

    it("refuses ES256 signatures of zeros and with r or s outside 1..n-1 (CVE-2022-21449)", async () => {
      const header = ourHeader();
      const claims = claimsFor(target);
      const genuine = signJws(header, claims, privateKey);
      const raw = Buffer.from(genuine.split(".")[2] ?? "", "base64url");
      const [r, s] = [raw.subarray(0, 32), raw.subarray(32)];
      const n = scalar(P256_ORDER);
      const max = Buffer.alloc(32, 0xff);
      const forged: Array<Buffer | string> = [
        Buffer.alloc(64),
        "MAYCAQACAQA", // DER SEQUENCE { INTEGER 0, INTEGER 0 }
        Buffer.concat([Buffer.alloc(32), s]),
        Buffer.concat([r, Buffer.alloc(32)]),
        Buffer.concat([n, n]),
        Buffer.concat([r, n]),
        Buffer.concat([n, s]),
        Buffer.concat([scalar(P256_ORDER + 1n), s]),
        Buffer.concat([max, max]),
      ];
      for (const signature of forged) await refused(target, compact(header, claims, signature));
      // The genuine signature of the very same header and claims passes (control).
      await expectAccepted(t, watch, target, genuine);
    });

    it.each([
      ["another audience", { aud: "https://other-service.example" }, {}],
      ["an audience list without ours", { aud: ["https://a.example", "https://b.example"] }, {}],
      ["another issuer", { iss: "https://evil.example" }, {}],
      ["typ JWT", {}, { typ: "JWT" }],
      ["no typ at all", {}, { typ: undefined }],
      ["typ dpop+jwt", {}, { typ: "dpop+jwt" }],
    ])("refuses a token signed with our key but with %s", async (_name, claims: Claims, header: Header) => {
      const spoiled = ourHeader(header);
      for (const [name, value] of Object.entries(header)) if (value === undefined) delete spoiled[name];
      await refused(target, signJws(spoiled, claimsFor(target, claims), privateKey));
    });
  });

  describe("a token the OpenID provider issued to a client, presented to Portcullis's own API", () => {
    it("refuses a client's token for the user, which userinfo accepts (control)", async () => {
      const forClient = withOurKey("userinfo");
      await expectAccepted(t, watch, "userinfo", forClient);
      await refused("api", forClient);
    });

    it("refuses a client-credentials token the provider really issued, on both", async () => {
      const created = await t.services.clients.createClient(
        {
          name: "Attacks job",
          type: "confidential",
          grantTypes: ["client_credentials"],
          scopes: ["reports:read"],
        },
        null,
      );
      if (!created.ok) throw new Error(JSON.stringify(created));
      const tokens = await client.clientCredentialsGrant(await discover(t, created), {
        scope: "reports:read",
      });
      expect(decodeJwt(tokens.access_token)).toMatchObject({ client_id: created.client.id });
      await refused("api", tokens.access_token);
      await refused("userinfo", tokens.access_token);
    });
  });

  it("followed no header to the lure server and logged none of the tokens presented", () => {
    expect(lureRequests).toBe(0);
    // The requests were logged at all, so the check below could fail.
    expect(watch.lines.filter((line) => line.includes('"route":"/v1/me"')).length).toBeGreaterThan(50);
    expect(watch.lines.some((line) => line.includes("/oauth2/userinfo"))).toBe(true);
    expectNoTokenLogged(watch);
  });
});

describe("token attacks › a retired key, after it was dropped", () => {
  const watch = createLogWatch();
  const clock = createManualClock(Date.now());
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ clock, logStream: watch.stream });
  });
  afterAll(() => t.close());

  it("accepts the old key's tokens while it is retired, and refuses them once it is dropped", async () => {
    const session = await t.signUp();
    const old = await serverSigningKey(t);
    const claims = decodeJwt(session.accessToken) as Claims;
    // A week of lifetime: the refusal below is the key's absence, not `exp`.
    const longLived = (target: Target, key: { kid: string; privateKey: KeyObject }) =>
      signJws(
        { alg: "ES256", typ: "at+jwt", kid: key.kid },
        {
          ...claims,
          jti: `long-${target}-${key.kid}`,
          exp: Math.floor(clock.now() / 1000) + 7 * 86_400,
          ...(target === "userinfo" ? { client_id: "attacks-app", scope: "openid" } : {}),
        },
        key.privateKey,
      );
    const oldTokens = TARGETS.map((target) => [target, longLived(target, old)] as const);
    for (const [target, token] of oldTokens) await expectAccepted(t, watch, target, token);

    await t.services.signingKeys.rotate();
    const current = await serverSigningKey(t);
    expect(current.kid).not.toBe(old.kid);
    // Retired but kept: tokens it signed before the rotation go on working until they expire.
    for (const [target, token] of oldTokens) await expectAccepted(t, watch, target, token);

    const retentionMs = (t.config.accessTokenTtlSeconds + 60) * 1000 + 5_000;
    clock.set(clock.now() + retentionMs + 1_000);
    await t.services.signingKeys.reload();
    const jwks = (await t.get("/.well-known/jwks.json")).json<{ keys: JsonWebKey[] }>();
    expect(jwks.keys.map((key) => key.kid)).not.toContain(old.kid);
    expect(
      await t.database.db.selectFrom("signing_keys").where("kid", "=", old.kid).select("kid").execute(),
    ).toEqual([]);

    for (const [target, token] of oldTokens) await expectRefused(t, watch, target, token);
    // The same claims under the current key still pass: only the dropped key is refused.
    for (const target of TARGETS) await expectAccepted(t, watch, target, longLived(target, current));
    expectNoTokenLogged(watch);
  });
});

describe("token attacks › a deleted user", () => {
  const watch = createLogWatch();
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ logStream: watch.stream });
  });
  afterAll(() => t.close());

  it("refuses the tokens of a user once the account is deleted", async () => {
    const session = await t.signUp();
    const { kid, privateKey } = await serverSigningKey(t);
    const claims: Claims = decodeJwt(session.accessToken);
    const forClient = signJws(
      { alg: "ES256", typ: "at+jwt", kid },
      { ...claims, jti: "for-client", client_id: "attacks-app", scope: "openid" },
      privateKey,
    );
    await expectAccepted(t, watch, "api", session.accessToken);
    await expectAccepted(t, watch, "userinfo", forClient);

    const deleted = await send(t, "DELETE", "/v1/me", bearer(session.accessToken));
    expect(deleted.statusCode, deleted.body).toBe(204);

    await expectRefused(t, watch, "api", session.accessToken);
    await expectRefused(t, watch, "userinfo", forClient);
    expectNoTokenLogged(watch);
  });
});
