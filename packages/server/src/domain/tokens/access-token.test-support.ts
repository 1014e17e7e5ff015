/**
 * Shared set-up for the access-token tests: a key ring per algorithm on a manual clock, and
 * helpers to build compact JWS tokens by hand (independently of `access-token.ts`), so that the
 * tests can forge exactly the malformed or malicious tokens they need.
 */
import type { KeyObject } from "node:crypto";
import { createHmac, sign } from "node:crypto";
import { createManualClock } from "../clock.js";
import { createAccessTokenIssuer, createAccessTokenVerifier } from "./access-token.js";
import { decryptSecretValue, deriveKeyEncryptionKey } from "./key-encryption.js";
import { createKeyRing } from "./key-ring.js";
import { generateSigningKey, type SigningAlgorithm, type StoredSigningKey } from "./signing-key.js";

export const ISSUER = "https://auth.example.test";
export const AUDIENCE = "api";
export const TTL_SECONDS = 900;
export const KEK = deriveKeyEncryptionKey("a test secret that is long enough to be random-looking");
export const ALGORITHMS: readonly SigningAlgorithm[] = ["ES256", "RS256", "EdDSA", "HS256"];

export const ISSUE_INPUT = {
  userId: "user_1",
  sessionId: "session_1",
  roles: ["user", "editor"],
  amr: ["pwd", "otp"],
  authTime: 1_767_225_500,
};

/** Builds a ring, an issuer and a verifier for `alg` around one fresh key. */
export function setUp(
  alg: SigningAlgorithm,
  options: { algorithms?: readonly SigningAlgorithm[]; cacheSize?: number } = {},
) {
  const clock = createManualClock();
  const stored = generateSigningKey(alg, { kek: KEK, now: clock.now() - 60_000 });
  const keyRing = createKeyRing({ kek: KEK, algorithm: alg, keys: [stored] });
  const issuer = createAccessTokenIssuer({
    keyRing,
    issuer: ISSUER,
    audience: AUDIENCE,
    ttlSeconds: TTL_SECONDS,
    clock,
  });
  const verifier = createAccessTokenVerifier({
    keyRing,
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: options.algorithms ?? [alg],
    clock,
    ...(options.cacheSize === undefined ? {} : { cacheSize: options.cacheSize }),
  });
  const nowSeconds = () => Math.floor(clock.now() / 1000);
  /** A valid claim set for "now", to sign by hand and then spoil. */
  const claims = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
    iss: ISSUER,
    aud: AUDIENCE,
    sub: "user_1",
    iat: nowSeconds(),
    exp: nowSeconds() + TTL_SECONDS,
    jti: "jti_1",
    sid: "session_1",
    roles: ["user"],
    amr: ["pwd"],
    auth_time: nowSeconds(),
    ...overrides,
  });
  const header = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
    alg,
    typ: "at+jwt",
    kid: stored.kid,
    ...overrides,
  });
  return { clock, stored, keyRing, issuer, verifier, claims, header, signingKey: keyRing.signingKey().key };
}

export function base64url(value: string | Buffer | object): string {
  if (Buffer.isBuffer(value)) return value.toString("base64url");
  return Buffer.from(typeof value === "string" ? value : JSON.stringify(value), "utf8").toString("base64url");
}

/** Joins header, payload and signature into a compact JWS without any checking. */
export function compact(
  header: object | string,
  payload: object | string,
  signature: Buffer | string,
): string {
  const sig = typeof signature === "string" ? signature : signature.toString("base64url");
  const encode = (part: object | string) => (typeof part === "string" ? part : base64url(part));
  return `${encode(header)}.${encode(payload)}.${sig}`;
}

/** Signs `<header>.<payload>` by hand with node:crypto, as `alg` prescribes (RFC 7518 §3). */
export function signCompact(
  alg: SigningAlgorithm,
  key: KeyObject | Buffer | string,
  header: object | string,
  payload: object | string,
): string {
  const input = compact(header, payload, "").slice(0, -1);
  const data = Buffer.from(input, "latin1");
  let signature: Buffer;
  switch (alg) {
    case "HS256":
      signature = createHmac("sha256", key).update(data).digest();
      break;
    case "ES256":
      signature = sign("sha256", data, { key: key as KeyObject, dsaEncoding: "ieee-p1363" });
      break;
    case "RS256":
      signature = sign("sha256", data, key as KeyObject);
      break;
    case "EdDSA":
      signature = sign(null, data, key as KeyObject);
      break;
  }
  return `${input}.${signature.toString("base64url")}`;
}

/** The raw secret of a stored HS256 key (for jose, which needs the bytes). */
export function secretOf(stored: StoredSigningKey): Buffer {
  return decryptSecretValue(KEK, stored.privateKeySealed);
}

/** Replaces the last character of a token by another base64url character. */
export function withLastChar(token: string, char: string): string {
  return `${token.slice(0, -1)}${char}`;
}
