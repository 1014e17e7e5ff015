// Baseline (a), the practical limit: a bare `node:http` server that verifies the ES256 access
// token with `node:crypto` and a cached KeyObject, checks typ/kid/exp/nbf/iss/aud, and answers a
// small JSON user. Nothing else: no framework, no routing table, no logging.
// BENCH_VERIFY=off-thread checks the signature with node:crypto's callback form (on libuv's
// thread pool) instead, as Portcullis does for a token not in its cache.
// Run standalone: PORT=3001 BENCH_JWKS_URL=... BENCH_ISSUER=... BENCH_AUDIENCE=... \
//   node --import tsx bench/baselines/bare-node-http.ts
import { type KeyObject, verify } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import { loadConfig, UNAUTHORIZED_BODY, userOf } from "./shared.js";

const config = await loadConfig();
const offThread = process.env.BENCH_VERIFY === "off-thread";

type Claims = Record<string, unknown>;

function decode(segment: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
    return value && typeof value === "object" ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The signed part, the signature and the claims of a token whose header passed; null if refused. */
function readToken(
  token: string,
): { signed: Buffer; signature: Buffer; payload: string; key: KeyObject } | null {
  const dot1 = token.indexOf(".");
  const dot2 = token.indexOf(".", dot1 + 1);
  if (dot1 <= 0 || dot2 <= dot1 || token.indexOf(".", dot2 + 1) !== -1) return null;
  const header = decode(token.slice(0, dot1));
  if (header?.alg !== "ES256" || header.typ !== "at+jwt" || typeof header.kid !== "string") return null;
  const key = config.keys.get(header.kid);
  if (!key) return null;
  const signature = Buffer.from(token.slice(dot2 + 1), "base64url");
  if (signature.length !== 64) return null;
  return {
    signed: Buffer.from(token.slice(0, dot2), "latin1"),
    signature,
    payload: token.slice(dot1 + 1, dot2),
    key,
  };
}

function checkClaims(payload: string): Claims | null {
  const claims = decode(payload);
  if (!claims) return null;
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp !== "number" || claims.exp <= now) return null;
  if (claims.nbf !== undefined && (typeof claims.nbf !== "number" || claims.nbf > now)) return null;
  if (claims.iss !== config.issuer) return null;
  const aud = claims.aud;
  if (aud !== config.audience && !(Array.isArray(aud) && aud.includes(config.audience))) return null;
  return claims;
}

function verifyToken(token: string, done: (claims: Claims | null) => void): void {
  const read = readToken(token);
  if (!read) {
    done(null);
    return;
  }
  const key = { key: read.key, dsaEncoding: "ieee-p1363" } as const;
  if (!offThread) {
    done(verify("sha256", read.signed, key, read.signature) ? checkClaims(read.payload) : null);
    return;
  }
  verify("sha256", read.signed, key, read.signature, (error, valid) =>
    done(error === null && valid ? checkClaims(read.payload) : null),
  );
}

function send(res: ServerResponse, status: number, body: string, type = "application/json"): void {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

const server = createServer((req, res) => {
  if (req.url === "/readyz") return send(res, 200, '{"status":"ok"}');
  if (req.url !== "/v1/me" || req.method !== "GET") return send(res, 404, '{"status":404}');
  const auth = req.headers.authorization;
  if (!auth?.startsWith("Bearer ")) return send(res, 401, UNAUTHORIZED_BODY, "application/problem+json");
  verifyToken(auth.slice(7), (claims) => {
    if (!claims) return send(res, 401, UNAUTHORIZED_BODY, "application/problem+json");
    send(res, 200, JSON.stringify(userOf(claims.sub, claims.roles)));
  });
});

server.listen(config.port, config.host);
// Exit normally on a signal, so that `--cpu-prof` and the like can write their output.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(0));
