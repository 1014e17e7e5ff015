/**
 * CSRF tokens for cookie sessions: the signed double-submit token of the OWASP CSRF cheat sheet.
 * A token is `<nonce>.<mac>` where `mac = HMAC-SHA256(key, "<sessionId>.<nonce>")`, the key
 * derived from the server secret with HKDF (RFC 5869). Bound to its session, a token from
 * another session, a forged one or one for no session at all fails; no server state is kept,
 * so every instance verifies what another issued. After a secret rotation tokens are issued
 * with the current key and verified with it or a previous one (PORTCULLIS_SECRET_PREVIOUS).
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";

const NONCE_BYTES = 16;
const TOKEN = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

export interface CsrfTokens {
  /** A fresh token for `sessionId` (null: no session yet; such a token passes no check). */
  issue(sessionId: string | null): string;
  /** Constant-time check that `token` was issued by this server for `sessionId`. */
  verify(token: string, sessionId: string): boolean;
}

/**
 * Derives the 32-byte CSRF key from the server secret (HKDF-SHA256, salt `"portcullis"`, info
 * `"csrf/v1"`); distinct from every other key derived from the same secret.
 *
 * @example
 * const csrf = createCsrfTokens(deriveCsrfKey(config.secret));
 */
export function deriveCsrfKey(secret: string): Buffer {
  if (secret.length === 0) throw new Error("deriveCsrfKey: the secret must be a non-empty string");
  return Buffer.from(hkdfSync("sha256", secret, "portcullis", "csrf/v1", 32));
}

/**
 * `key` signs; it and `previousKeys` verify.
 * @example
 * const csrf = createCsrfTokens(deriveCsrfKey(config.secret), randomBytes, config.previousSecrets.map(deriveCsrfKey));
 */
export function createCsrfTokens(
  key: Buffer,
  random: (bytes: number) => Buffer = randomBytes,
  previousKeys: readonly Buffer[] = [],
): CsrfTokens {
  const macWith = (macKey: Buffer, binding: string, nonce: string) =>
    createHmac("sha256", macKey).update(`${binding}.${nonce}`).digest();
  const mac = (binding: string, nonce: string) => macWith(key, binding, nonce);
  return {
    issue(sessionId) {
      const nonce = random(NONCE_BYTES).toString("base64url");
      // The empty binding can never match a session id, which is never empty.
      return `${nonce}.${mac(sessionId ?? "", nonce).toString("base64url")}`;
    },
    verify(token, sessionId) {
      const match = TOKEN.exec(token);
      if (match === null || sessionId === "") return false;
      const [, nonce = "", presented = ""] = match;
      const given = Buffer.from(presented, "base64url");
      // Every key is tried, so the time taken does not tell which one matched.
      let valid = timingSafeEqual(given, mac(sessionId, nonce));
      for (const previous of previousKeys)
        valid = timingSafeEqual(given, macWith(previous, sessionId, nonce)) || valid;
      return valid;
    },
  };
}
