/**
 * Who may read `GET /metrics`. The metrics say how many logins fail, how large the revocation set
 * is and what the process holds: useful to an attacker sizing an attack, so they are not served
 * to whoever can reach the public port.
 *
 * - `PORTCULLIS_METRICS_TOKEN` set: both listeners answer a scraper that sends it as a bearer
 *   token (RFC 6750 §2.1), compared in constant time; anyone else gets 401.
 * - `PORTCULLIS_METRICS_PORT` set: the metrics listener answers (behind the token, if set); the
 *   public listener answers 404 unless the token is set.
 * - Neither: the public listener answers only outside production and only to a loopback peer
 *   (the socket's address, never `X-Forwarded-For`), which keeps a local scraper and `npm start`
 *   working; everyone else, and everyone in production, gets 404, as for any unknown path.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import type { MetricsSettings } from "../config/config.js";

export type MetricsVerdict = "serve" | "not_found" | "unauthenticated" | "invalid_token";

export interface MetricsRequest {
  /** The `Authorization` header, as sent. */
  authorization: string | undefined;
  /** The TCP peer (`request.socket.remoteAddress`), not a forwarded address. */
  peerAddress: string | undefined;
}

export type MetricsAccess = (request: MetricsRequest) => MetricsVerdict;

const BEARER = /^Bearer +(\S+) *$/i;

/**
 * @example
 * const access = metricsAccess(config.metrics, { listener: "public", production: config.env === "production" });
 * access({ authorization: request.headers.authorization, peerAddress: request.socket.remoteAddress });
 */
export function metricsAccess(
  settings: MetricsSettings,
  options: { listener: "public" | "metrics"; production: boolean },
): MetricsAccess {
  if (settings.token !== undefined) return bearerAccess(settings.token);
  if (options.listener === "metrics") return () => "serve";
  if (settings.port !== undefined || options.production) return () => "not_found";
  return (request) => (isLoopback(request.peerAddress) ? "serve" : "not_found");
}

function bearerAccess(token: string): MetricsAccess {
  // Hashing both sides gives equal lengths, so the comparison time says nothing about the token.
  const expected = sha256(token);
  return ({ authorization }) => {
    if (authorization === undefined || authorization === "") return "unauthenticated";
    const presented = BEARER.exec(authorization)?.[1];
    if (presented === undefined) return "invalid_token";
    return timingSafeEqual(sha256(presented), expected) ? "serve" : "invalid_token";
  };
}

function sha256(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (`::ffff:127.0.0.1`). */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const plain = address.startsWith("::ffff:") ? address.slice("::ffff:".length) : address;
  if (isIP(plain) === 4) return plain.startsWith("127.");
  return plain === "::1";
}
