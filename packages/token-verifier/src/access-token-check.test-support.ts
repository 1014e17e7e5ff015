/**
 * For the check's tests: a key of every algorithm, a check over them on a fixed instant, and
 * tokens built by hand with node:crypto (independently of the code under test), so that the tests
 * can forge exactly the malformed or malicious tokens they need.
 */
import {
  createHmac,
  createSecretKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
} from "node:crypto";
import {
  type AccessTokenCheckOptions,
  createAccessTokenCheck,
  createOffThreadAccessTokenCheck,
} from "./access-token-check.js";
import type { JwsAlgorithm, VerificationKey } from "./jws-signature.js";

export const ISSUER = "https://auth.example.test";
export const AUDIENCE = "https://api.example.test";
export const NOW = Date.UTC(2026, 5, 1, 12);
export const ALGORITHMS: readonly JwsAlgorithm[] = ["ES256", "RS256", "EdDSA", "HS256"];

export interface TestKey {
  kid: string;
  alg: JwsAlgorithm;
  /** What signs: a private key, or the HMAC secret. */
  signingKey: KeyObject;
  /** What verifies: a public key, or the HMAC secret. */
  verificationKey: KeyObject;
}

export function generateTestKey(alg: JwsAlgorithm, kid = randomBytes(8).toString("base64url")): TestKey {
  if (alg === "HS256") {
    // A KeyObject of type "secret", as the server's key ring opens HS256 keys.
    const secret = createSecretKey(randomBytes(32));
    return { kid, alg, signingKey: secret, verificationKey: secret };
  }
  const pair =
    alg === "ES256"
      ? generateKeyPairSync("ec", { namedCurve: "P-256" })
      : alg === "RS256"
        ? generateKeyPairSync("rsa", { modulusLength: 2048 })
        : generateKeyPairSync("ed25519");
  return { kid, alg, signingKey: pair.privateKey, verificationKey: pair.publicKey };
}

/** A check accepting `keys` (by kid), with every algorithm of theirs allowed unless told otherwise. */
export function checkOver(keys: readonly TestKey[], options: Partial<AccessTokenCheckOptions> = {}) {
  return createAccessTokenCheck(checkOptionsOver(keys, options));
}

/** As `checkOver`, with signatures checked on libuv's thread pool. */
export function offThreadCheckOver(keys: readonly TestKey[], options: Partial<AccessTokenCheckOptions> = {}) {
  return createOffThreadAccessTokenCheck(checkOptionsOver(keys, options));
}

function checkOptionsOver(
  keys: readonly TestKey[],
  options: Partial<AccessTokenCheckOptions>,
): AccessTokenCheckOptions {
  const byKid = new Map<string, VerificationKey>(
    keys.map((key) => [key.kid, { alg: key.alg, key: key.verificationKey }]),
  );
  return {
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: [...new Set(keys.map((key) => key.alg))],
    findKey: (kid) => byKid.get(kid),
    confirmation: "refuse",
    ...options,
  };
}

/** The claims Portcullis puts in an access token, at `nowMs`. */
export function accessClaims(nowMs = NOW, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = Math.floor(nowMs / 1000);
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: "user-1",
    sid: "session-1",
    jti: randomBytes(16).toString("base64url"),
    iat,
    exp: iat + 900,
    roles: ["user"],
    amr: ["pwd"],
    auth_time: iat,
    ...overrides,
  };
}

/** The header Portcullis writes for `key`, with overrides (`undefined` drops a member). */
export function headerFor(key: TestKey, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { alg: key.alg, typ: "at+jwt", kid: key.kid, ...overrides };
}

/** base64url of a JSON value, of a string's UTF-8 bytes, or of bytes. */
export function base64url(value: unknown): string {
  if (Buffer.isBuffer(value)) return value.toString("base64url");
  return Buffer.from(typeof value === "string" ? value : JSON.stringify(value), "utf8").toString("base64url");
}

/** Signs `<header>.<payload>` (objects are JSON-encoded, strings taken as already encoded). */
export function signWith(alg: JwsAlgorithm, key: KeyObject | Buffer | string, data: Buffer): Buffer {
  switch (alg) {
    case "HS256":
      return createHmac("sha256", key).update(data).digest();
    case "ES256":
      return sign("sha256", data, { key: key as KeyObject, dsaEncoding: "ieee-p1363" });
    case "RS256":
      return sign("sha256", data, key as KeyObject);
    case "EdDSA":
      return sign(null, data, key as KeyObject);
  }
}

/** A token signed with `key` by the algorithm `alg` (by default the key's own). */
export function signToken(
  key: TestKey,
  header: object | string = headerFor(key),
  payload: object | string = accessClaims(),
  alg: JwsAlgorithm = key.alg,
  signingKey: KeyObject | Buffer | string = key.signingKey,
): string {
  const encode = (part: object | string) => (typeof part === "string" ? part : base64url(part));
  const input = `${encode(header)}.${encode(payload)}`;
  return `${input}.${signWith(alg, signingKey, Buffer.from(input, "latin1")).toString("base64url")}`;
}

/** The token with its signature replaced (bytes, or base64url text as is). */
export function withSignature(token: string, signature: Buffer | string): string {
  const text = typeof signature === "string" ? signature : signature.toString("base64url");
  return `${token.slice(0, token.lastIndexOf(".") + 1)}${text}`;
}

/** The token with one bit of its signature flipped. */
export function flipSignatureBit(token: string): string {
  const signature = Buffer.from(token.slice(token.lastIndexOf(".") + 1), "base64url");
  signature[5] = (signature[5] ?? 0) ^ 1;
  return withSignature(token, signature);
}
