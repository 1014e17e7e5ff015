// JWT helpers for the bench: decoding what Portcullis issued, and a self-signed ES256 token
// (with its own key set) for running the baselines without Portcullis.
import { generateKeyPairSync, randomBytes, randomUUID, sign } from "node:crypto";

export interface Jwks {
  keys: Record<string, unknown>[];
}

export interface TokenInfo {
  kid: string;
  iss: string;
  aud: string;
  exp: number;
}

function part(token: string, index: number): Record<string, unknown> {
  const segment = token.split(".")[index];
  if (segment === undefined) throw new Error("not a JWT");
  const value: unknown = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
  if (!value || typeof value !== "object") throw new Error("not a JWT");
  return value as Record<string, unknown>;
}

/** Reads (without verifying) what the baselines need to check: kid, iss, aud, exp. */
export function tokenInfo(token: string): TokenInfo {
  const header = part(token, 0);
  const payload = part(token, 1);
  if (header.alg !== "ES256") throw new Error(`expected an ES256 token, got alg ${String(header.alg)}`);
  const aud = Array.isArray(payload.aud) ? payload.aud[0] : payload.aud;
  if (
    typeof header.kid !== "string" ||
    typeof payload.iss !== "string" ||
    typeof aud !== "string" ||
    typeof payload.exp !== "number"
  ) {
    throw new Error(`token lacks kid/iss/aud/exp: ${JSON.stringify({ header, payload })}`);
  }
  return { kid: header.kid, iss: payload.iss, aud, exp: payload.exp };
}

/** The same token with one signature byte changed: a verifying target must answer 401. */
export function tamper(token: string): string {
  const dot = token.lastIndexOf(".");
  const sig = Buffer.from(token.slice(dot + 1), "base64url");
  sig[10] = (sig[10] ?? 0) ^ 0x01;
  return `${token.slice(0, dot + 1)}${sig.toString("base64url")}`;
}

/** An ES256 key pair, its JWKS, and an RFC 9068-shaped access token signed with it. */
export function selfSignedToken(issuer: string, ttlSeconds = 3600): { token: string; jwks: Jwks } {
  const { tokens, jwks } = selfSignedTokens(issuer, 1, ttlSeconds);
  return { token: tokens[0] as string, jwks };
}

/**
 * `count` distinct RFC 9068-shaped access tokens signed by one fresh ES256 key, and its JWKS: for
 * runs that need more tokens than a verifier caches, without a Portcullis to mint them.
 */
export function selfSignedTokens(
  issuer: string,
  count: number,
  ttlSeconds = 3600,
): { tokens: string[]; jwks: Jwks } {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const kid = randomBytes(8).toString("base64url");
  const jwk = { ...publicKey.export({ format: "jwk" }), kid, alg: "ES256", use: "sig" };
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const header = enc({ alg: "ES256", typ: "at+jwt", kid });
  const now = Math.floor(Date.now() / 1000);
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    const payload = enc({
      iss: issuer,
      aud: issuer,
      sub: randomUUID(),
      sid: randomUUID(),
      jti: randomUUID(),
      iat: now,
      exp: now + ttlSeconds,
      auth_time: now,
      roles: ["user"],
      amr: ["pwd"],
    });
    const signature = sign("sha256", Buffer.from(`${header}.${payload}`), {
      key: privateKey,
      dsaEncoding: "ieee-p1363",
    });
    tokens.push(`${header}.${payload}.${signature.toString("base64url")}`);
  }
  return { tokens, jwks: { keys: [jwk] } };
}
