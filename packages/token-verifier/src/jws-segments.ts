/**
 * Reading the segments of a JWS compact serialisation (RFC 7515 §7.1) strictly: canonical
 * base64url only (RFC 8725 §2.6), UTF-8 only (RFC 8725 §3.7), JSON objects only, and no member
 * named twice (RFC 7515 §5.2, RFC 7519 §4). Callers have already checked that the token holds
 * only base64url characters and dots.
 */
import { isUtf8 } from "node:buffer";

const BASE64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/** Character code → 6-bit value. */
const SEXTET = new Uint8Array(128);
for (let index = 0; index < BASE64URL_ALPHABET.length; index += 1)
  SEXTET[BASE64URL_ALPHABET.charCodeAt(index)] = index;

const BACKSLASH = 92;
const COLON = 58;

/**
 * Whether a segment of base64url characters is the one canonical encoding of its bytes. Node's
 * decoder ignores non-zero trailing bits, so "AB" and "AA" would both decode to one zero byte;
 * only the encoding with zero bits is accepted, and a length of 4n + 1 (no whole byte) never is.
 * Checked on the last character, without encoding the bytes again.
 */
export function isCanonicalBase64Url(segment: string): boolean {
  const rest = segment.length % 4;
  if (rest === 0) return true;
  if (rest === 1) return false;
  const last = SEXTET[segment.charCodeAt(segment.length - 1)] ?? 0;
  // 2 characters carry 1 byte (4 spare bits), 3 characters carry 2 bytes (2 spare bits).
  return (last & (rest === 2 ? 0x0f : 0x03)) === 0;
}

/** The bytes of a canonical base64url segment, or null. */
export function decodeBase64Url(segment: string): Buffer | null {
  return isCanonicalBase64Url(segment) ? Buffer.from(segment, "base64url") : null;
}

/**
 * The JSON object a segment encodes, or null: not canonical base64url, not UTF-8, not JSON, not
 * an object, or an object (at any depth) naming a member twice.
 */
export function decodeJsonObject(segment: string): Record<string, unknown> | null {
  const bytes = decodeBase64Url(segment);
  // `toString` would replace invalid sequences; it keeps a byte-order mark, which JSON.parse refuses.
  if (bytes === null || !isUtf8(bytes)) return null;
  const text = bytes.toString("utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  // JSON.parse keeps the last of two members with one name; another parser (a resource server's)
  // may keep the first. Each object's distinct keys number at most its members in the text, so
  // the totals are equal exactly when no object names a member twice.
  if (countMemberNames(text) !== countKeys(value)) return null;
  return value as Record<string, unknown>;
}

/**
 * Member names in JSON text that JSON.parse accepted: in valid JSON, exactly the strings followed
 * (after whitespace) by a colon. Escapes are skipped, not decoded: `"s\u0075b"` counts once.
 */
export function countMemberNames(text: string): number {
  let names = 0;
  let start = text.indexOf('"');
  while (start !== -1) {
    let end = start;
    for (;;) {
      end = text.indexOf('"', end + 1);
      let backslashes = 0;
      while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes += 1;
      if (backslashes % 2 === 0) break;
    }
    let next = end + 1;
    let code = text.charCodeAt(next);
    // JSON whitespace: space, tab, line feed, carriage return.
    while (code === 32 || code === 9 || code === 10 || code === 13) code = text.charCodeAt(++next);
    if (code === COLON) names += 1;
    start = text.indexOf('"', next);
  }
  return names;
}

/** Own keys of every object in a parsed JSON value, nested ones included. */
function countKeys(value: unknown): number {
  if (typeof value !== "object" || value === null) return 0;
  let count = 0;
  if (Array.isArray(value)) {
    for (const item of value) count += countKeys(item);
    return count;
  }
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) count += 1 + countKeys(object[key]);
  return count;
}
