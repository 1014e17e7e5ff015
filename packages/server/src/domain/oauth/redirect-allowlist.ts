/**
 * Where a social login may send the browser back to (API.md "Social login"; ASVS 10.4.1 and
 * 3.7.2; RFC 9700 §4.11: no open redirectors). An allow-list entry is an origin, optionally with a
 * path prefix (`https://app.example.com` or `https://app.example.com/account`); a `redirectTo`
 * matches when, after WHATWG URL normalisation (case of scheme and host, IDN to punycode, default
 * ports, `.` and `..` segments), it has the same scheme, host and port as an entry and its path
 * lies inside the entry's prefix at a `/` boundary (`/account` and `/account/x`, never
 * `/accounting`). Whatever parsers disagree about is refused before that: control characters
 * and whitespace, backslashes, user-info (`https://app.example.com@evil.example`), anything but
 * an absolute http(s) URL (`//evil.example`, `javascript:`), and encoded `/`, `\`, `.` or `%` in
 * the path (a server that decodes them again would see another path). The normalised URL, not
 * the raw input, is what the browser is sent to.
 */

/** Longer `redirectTo` values are refused; no legitimate return address needs more. */
export const MAX_REDIRECT_LENGTH = 2048;

/** Control and invisible format characters, any whitespace, and the backslash. */
const FORBIDDEN_CHARACTER = /[\p{Cc}\p{Cf}\s\\]/u;
const ABSOLUTE_HTTP = /^https?:\/\//i;
/** Encoded slash, backslash, dot and percent: a second decoding would change the path. */
const ENCODED_SEPARATOR = /%(2f|5c|2e|25)/i;

interface AllowlistEntry {
  origin: string;
  /** Always ends with `/`. */
  pathPrefix: string;
  href: string;
}

export interface RedirectAllowlist {
  /** The target used when a flow names none: the first entry. */
  readonly defaultTarget: string;
  /** The normalised URL to redirect to, or null when `candidate` is not allowed. */
  match(candidate: string): string | null;
}

function parseStrictUrl(raw: string): URL | null {
  if (raw.length === 0 || raw.length > MAX_REDIRECT_LENGTH) return null;
  if (FORBIDDEN_CHARACTER.test(raw) || !ABSOLUTE_HTTP.test(raw)) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  if (url.username !== "" || url.password !== "") return null;
  if (ENCODED_SEPARATOR.test(url.pathname)) return null;
  return url;
}

/**
 * Why `entry` cannot be an allow-list entry, or null when it can. Entries name an origin and at
 * most a path prefix: no query, no fragment.
 */
export function describeAllowlistEntryProblem(entry: string): string | null {
  const url = parseStrictUrl(entry);
  if (url === null) {
    return "must be an absolute http:// or https:// URL without user-info, whitespace, backslashes or encoded separators";
  }
  if (entry.includes("?") || entry.includes("#")) return "must not have a query or a fragment";
  // Exact origins only: wildcard patterns are where Keycloak's and Better Auth's bypasses lived.
  if (entry.includes("*")) return "must not contain wildcards; list each origin";
  return null;
}

function parseEntry(entry: string): AllowlistEntry {
  const url = parseStrictUrl(entry);
  if (url === null || describeAllowlistEntryProblem(entry) !== null) {
    // The configuration refuses such entries at start; reaching this is a programming error.
    throw new Error(`not a valid redirect allow-list entry: ${entry}`);
  }
  const pathPrefix = url.pathname.endsWith("/") ? url.pathname : `${url.pathname}/`;
  return { origin: url.origin, pathPrefix, href: url.href };
}

function insidePrefix(path: string, prefix: string): boolean {
  return path.startsWith(prefix) || path === prefix.slice(0, -1);
}

/**
 * @example
 * const allowlist = createRedirectAllowlist(["https://app.example.com/account"]);
 * allowlist.match("https://APP.example.com/account/done?x=1"); // "https://app.example.com/account/done?x=1"
 * allowlist.match("https://app.example.com/accounting");      // null
 */
export function createRedirectAllowlist(entries: readonly string[]): RedirectAllowlist {
  const parsed = entries.map(parseEntry);
  const first = parsed[0];
  if (first === undefined) throw new Error("the redirect allow-list needs at least one entry");
  return {
    defaultTarget: first.href,
    match(candidate) {
      const url = parseStrictUrl(candidate);
      if (url === null) return null;
      const allowed = parsed.some(
        (entry) => entry.origin === url.origin && insidePrefix(url.pathname, entry.pathPrefix),
      );
      return allowed ? url.href : null;
    },
  };
}

/**
 * `target` with `params` added to its query (replacing any of the same name); the fragment stays last.
 * @example withQuery("https://app.example.com/done?x=1", { code: "abc" }) // "https://app.example.com/done?x=1&code=abc"
 */
export function withQuery(target: string, params: Record<string, string>): string {
  const url = new URL(target);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.href;
}
