/**
 * The answers the middleware gives when it refuses a request: RFC 9457 problem documents with
 * the same `code`s as Portcullis (API.md "Conventions"), and RFC 6750 §3 `WWW-Authenticate`
 * challenges on every 401 and on `insufficient_scope`.
 */

export type ProblemCode =
  | "unauthenticated"
  | "invalid_token"
  | "invalid_api_key"
  | "insufficient_role"
  | "insufficient_scope"
  | "service_unavailable";

/** A refusal, ready to send: status, headers and the JSON body. */
export interface Problem {
  readonly status: number;
  readonly code: ProblemCode;
  readonly headers: Readonly<Record<string, string>>;
  /** The serialised problem document. */
  readonly body: string;
}

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

const KINDS: Record<ProblemCode, { status: number; title: string }> = {
  unauthenticated: { status: 401, title: "Authentication is required" },
  invalid_token: { status: 401, title: "The token is not valid" },
  invalid_api_key: { status: 401, title: "The API key is not valid" },
  insufficient_role: { status: 403, title: "The account lacks the role this needs" },
  insufficient_scope: { status: 403, title: "The token lacks the scope this needs" },
  service_unavailable: { status: 503, title: "A dependency is unavailable; try again shortly" },
};

/** RFC 7230 quoted-string: realm and scope values are checked when options are read, never echoed from a request. */
const quoted = (value: string) => `"${value.replace(/["\\]/g, "")}"`;

export interface ProblemOptions {
  detail?: string;
  /** The scheme of the credential that failed (`Bearer` or `ApiKey`). */
  scheme?: "Bearer" | "ApiKey";
  /** RFC 6750 §3 `realm`; omitted when absent. */
  realm?: string | undefined;
  /** For `insufficient_scope`: the scopes the route needs (RFC 6750 §3). */
  scope?: readonly string[];
  retryAfterSeconds?: number;
}

export function createProblem(code: ProblemCode, options: ProblemOptions): Problem {
  const { status, title } = KINDS[code];
  const headers: Record<string, string> = { "cache-control": "no-store" };
  const params = options.realm === undefined ? [] : [`realm=${quoted(options.realm)}`];
  const scheme = options.scheme ?? (code === "invalid_api_key" ? "ApiKey" : "Bearer");
  const challenge = (more: string[]) => [scheme, [...params, ...more].join(", ")].filter(Boolean).join(" ");
  if (code === "unauthenticated") headers["www-authenticate"] = challenge([]);
  else if (code === "invalid_token" || code === "invalid_api_key")
    headers["www-authenticate"] = challenge([`error="${code}"`]);
  else if (code === "insufficient_scope")
    headers["www-authenticate"] = challenge([
      'error="insufficient_scope"',
      `scope=${quoted((options.scope ?? []).join(" "))}`,
    ]);
  if (options.retryAfterSeconds !== undefined) headers["retry-after"] = String(options.retryAfterSeconds);
  const body = JSON.stringify({
    type: `urn:portcullis:problem:${code}`,
    title,
    status,
    code,
    ...(options.detail === undefined ? {} : { detail: options.detail }),
  });
  return Object.freeze({ status, code, headers: Object.freeze(headers), body });
}

/** Realms and scope names end up in a header: a conservative character set, checked at start-up. */
export const HEADER_SAFE = /^[A-Za-z0-9 _:./@+-]{1,128}$/;
