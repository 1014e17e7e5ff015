/**
 * For the verifier's tests: signing keys of every algorithm, a real HTTP server publishing their
 * JWKS (counting fetches, so the cooldown can be observed), and tokens signed with `jose` — the
 * oracle — or forged by hand.
 */
import { generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type JWK, SignJWT } from "jose";
import type { Algorithm } from "./types.js";

export interface TestKey {
  kid: string;
  alg: Algorithm;
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: JWK;
}

export function generateTestKey(alg: Algorithm, kid = randomBytes(8).toString("base64url")): TestKey {
  const pair =
    alg === "ES256"
      ? generateKeyPairSync("ec", { namedCurve: "P-256" })
      : alg === "RS256"
        ? generateKeyPairSync("rsa", { modulusLength: 2048 })
        : generateKeyPairSync("ed25519");
  const jwk = { ...(pair.publicKey.export({ format: "jwk" }) as JWK), kid, alg, use: "sig" };
  return { kid, alg, privateKey: pair.privateKey, publicKey: pair.publicKey, jwk };
}

export interface JwksServer {
  url: string;
  /** Fetches served so far. */
  readonly fetches: number;
  publish(keys: JWK[]): void;
  /** Answer 500 from now on (or serve again). */
  fail(on: boolean): void;
  close(): Promise<void>;
}

export async function startJwksServer(keys: JWK[]): Promise<JwksServer> {
  let current = keys;
  let fetches = 0;
  let failing = false;
  const server: Server = createServer((request, response) => {
    if (request.url !== "/.well-known/jwks.json") {
      response.writeHead(404).end();
      return;
    }
    fetches += 1;
    if (failing) {
      response.writeHead(500).end();
      return;
    }
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: current }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get fetches() {
      return fetches;
    },
    publish(next) {
      current = next;
    },
    fail(on) {
      failing = on;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const ISSUER = "https://auth.example.test";
export const AUDIENCE = "https://api.example.test";

/** The claims Portcullis puts in an access token, at `nowMs`. */
export function accessClaims(
  nowMs: number,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
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

/** A token as Portcullis signs it, signed by jose. */
export function signWithJose(
  key: TestKey,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, typ: "at+jwt", kid: key.kid, ...header })
    .sign(key.privateKey);
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** A token assembled by hand: any header, any payload, a signature of our choosing. */
export function forge(
  header: Record<string, unknown>,
  payload: unknown,
  signer: (input: Buffer) => Buffer,
): string {
  const input = `${encode(header)}.${encode(payload)}`;
  return `${input}.${signer(Buffer.from(input, "latin1")).toString("base64url")}`;
}

/** Signs like ES256 (raw R‖S) with the key. */
export const es256Signer = (key: KeyObject) => (input: Buffer) =>
  sign("sha256", input, { key, dsaEncoding: "ieee-p1363" });
