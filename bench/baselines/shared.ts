// What both `GET /v1/me` baselines share: configuration from the environment, the public key
// taken from Portcullis's JWKS (fetched once at start), and the small JSON user they answer.
//
// Environment: PORT (required), HOST (default 127.0.0.1), BENCH_ISSUER and BENCH_AUDIENCE (the
// `iss` and `aud` to require), and either BENCH_JWKS (the key set as JSON) or BENCH_JWKS_URL (fetched
// once, e.g. http://127.0.0.1:3000/.well-known/jwks.json). BENCH_KID picks the key when the set
// has several (default: the only one).
import { createPublicKey, type JsonWebKey, type KeyObject } from "node:crypto";

export interface BaselineConfig {
  port: number;
  host: string;
  issuer: string;
  audience: string;
  /** Every ES256 key of the set, by kid. */
  keys: Map<string, KeyObject>;
  /** The one key a single-key verifier (jsonwebtoken) is given. */
  key: KeyObject;
  kid: string;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

export async function loadConfig(): Promise<BaselineConfig> {
  const port = Number(required("PORT"));
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error("PORT must be a port number");
  let jwks: unknown;
  if (process.env.BENCH_JWKS) {
    jwks = JSON.parse(process.env.BENCH_JWKS);
  } else {
    const res = await fetch(required("BENCH_JWKS_URL"), { signal: AbortSignal.timeout(5000) });
    jwks = await res.json();
  }
  if (!jwks || typeof jwks !== "object" || !("keys" in jwks) || !Array.isArray(jwks.keys)) {
    throw new Error("the JWKS has no keys array");
  }
  const keys = new Map<string, KeyObject>();
  for (const jwk of jwks.keys as (JsonWebKey & { kid?: string; alg?: string })[]) {
    if (jwk.kty !== "EC" || jwk.crv !== "P-256" || typeof jwk.kid !== "string") continue;
    if (jwk.alg !== undefined && jwk.alg !== "ES256") continue;
    keys.set(jwk.kid, createPublicKey({ key: jwk, format: "jwk" }));
  }
  const kid = process.env.BENCH_KID ?? (keys.size === 1 ? [...keys.keys()][0] : undefined);
  const key = kid === undefined ? undefined : keys.get(kid);
  if (kid === undefined || key === undefined) {
    throw new Error(`no ES256 key to use (keys: ${[...keys.keys()].join(", ") || "none"}); set BENCH_KID`);
  }
  return {
    port,
    host: process.env.HOST ?? "127.0.0.1",
    issuer: required("BENCH_ISSUER"),
    audience: required("BENCH_AUDIENCE"),
    keys,
    key,
    kid,
  };
}

/** The user both baselines answer, shaped like Portcullis's `{ user }`. */
export function userOf(sub: unknown, roles: unknown) {
  return {
    user: {
      id: sub,
      email: "bench@example.com",
      emailVerified: false,
      name: "Bench",
      roles: Array.isArray(roles) ? roles : [],
      mfaEnabled: false,
      createdAt: "2025-01-01T00:00:00.000Z",
    },
  };
}

export const UNAUTHORIZED_BODY = JSON.stringify({
  type: "about:blank",
  title: "Unauthorized",
  status: 401,
  code: "invalid_token",
});
