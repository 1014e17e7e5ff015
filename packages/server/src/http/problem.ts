/**
 * The one catalogue of error codes (API.md) and the only place that turns them into RFC 9457
 * problem responses. `code` is what clients switch on: a code is never renamed or reused.
 * `detail` is only ever a fixed sentence or a caller-safe explanation, never input echoed back
 * with secrets, SQL or stack traces.
 */
import type { FastifyReply } from "fastify";

interface ProblemKind {
  status: number;
  title: string;
}

export const PROBLEMS = {
  malformed_body: { status: 400, title: "The request body is not valid JSON" },
  validation_failed: { status: 400, title: "The request is not valid" },
  weak_password: { status: 400, title: "The password is too weak" },
  invalid_code: { status: 400, title: "The code is not valid" },
  invalid_webauthn_response: {
    status: 400,
    title: "The passkey response could not be verified (or its challenge expired or was used)",
  },
  invalid_redirect: { status: 400, title: "redirectTo is not in the redirect allow-list" },
  invalid_state: {
    status: 400,
    title: "The sign-in flow is unknown, spent, expired, or was started in another browser",
  },
  unauthenticated: { status: 401, title: "Authentication is required" },
  invalid_token: { status: 401, title: "The token is not valid" },
  invalid_api_key: { status: 401, title: "The API key is not valid" },
  invalid_credentials: { status: 401, title: "The email or password is wrong" },
  invalid_refresh_token: { status: 401, title: "The refresh token is not valid" },
  invalid_mfa_code: { status: 401, title: "The two-factor code is not valid" },
  invalid_mfa_token: {
    status: 401,
    title: "The mfaToken is not valid (unknown, used, expired, or too many wrong codes); sign in again",
  },
  refresh_token_reused: {
    status: 401,
    title: "The refresh token was already used; the session has been revoked",
  },
  reauthentication_required: {
    status: 401,
    title:
      "This needs a recent sign-in: confirm your password or a two-factor code with POST /v1/auth/reauthenticate",
  },
  account_disabled: { status: 403, title: "The account is disabled" },
  email_not_verified: {
    status: 403,
    title: "The email address is not verified yet; open the link in the verification mail",
  },
  insufficient_role: { status: 403, title: "The account lacks the role this needs" },
  insufficient_scope: { status: 403, title: "The token lacks the scope this needs" },
  csrf_failed: { status: 403, title: "The CSRF check failed" },
  not_found: { status: 404, title: "Not found" },
  method_not_allowed: { status: 405, title: "Method not allowed" },
  email_taken: { status: 409, title: "The email address is already registered" },
  mfa_already_enabled: { status: 409, title: "Two-factor authentication with TOTP is already enabled" },
  mfa_not_enabled: { status: 409, title: "Two-factor authentication is not enabled" },
  last_sign_in_method: {
    status: 409,
    title: "This is the only way left to sign in to the account; set a password or link another first",
  },
  last_admin: {
    status: 409,
    title: "This is the only enabled administrator; make someone else an administrator first",
  },
  payload_too_large: { status: 413, title: "The request body is too large" },
  unsupported_media_type: { status: 415, title: "The request body must be application/json" },
  rate_limited: { status: 429, title: "Too many requests" },
  internal_error: { status: 500, title: "Something went wrong on our side" },
  server_busy: { status: 503, title: "The server is busy; try again shortly" },
  service_unavailable: { status: 503, title: "A dependency is unavailable; try again shortly" },
  provider_unavailable: { status: 503, title: "The sign-in provider is unavailable; try again shortly" },
} as const satisfies Record<string, ProblemKind>;

export type ProblemCode = keyof typeof PROBLEMS;

export interface ProblemFieldError {
  /** JSON Pointer (RFC 6901) into the request, e.g. `/email`. */
  pointer: string;
  detail: string;
  code?: string;
}

export interface ProblemOptions {
  detail?: string;
  errors?: ProblemFieldError[];
  /** For codes whose status depends on the endpoint (e.g. `invalid_token` is 400 on reset links). */
  status?: number;
  headers?: Record<string, string>;
}

/** Thrown by route handlers and plugins; the error handler renders it. */
export class ProblemError extends Error {
  override readonly name = "ProblemError";
  constructor(
    readonly code: ProblemCode,
    readonly options: ProblemOptions = {},
  ) {
    super(options.detail ?? PROBLEMS[code].title);
  }

  get status(): number {
    return this.options.status ?? PROBLEMS[this.code].status;
  }
}

/** `429 rate_limited` with the `Retry-After` the contract requires. */
export function rateLimitedProblem(retryAfterSeconds: number): ProblemError {
  return new ProblemError("rate_limited", { headers: { "retry-after": String(retryAfterSeconds) } });
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: ProblemCode;
  detail?: string;
  errors?: ProblemFieldError[];
}

export function problemBody(code: ProblemCode, options: ProblemOptions = {}): ProblemBody {
  const status = options.status ?? PROBLEMS[code].status;
  return {
    type: `urn:portcullis:problem:${code}`,
    title: PROBLEMS[code].title,
    status,
    code,
    ...(options.detail === undefined ? {} : { detail: options.detail }),
    ...(options.errors === undefined ? {} : { errors: options.errors }),
  };
}

/** RFC 6750 §3: every 401 names the scheme; a failed token also names the error. */
function bearerChallenge(code: ProblemCode, status: number): string | undefined {
  if (code === "invalid_token") return 'Bearer realm="portcullis", error="invalid_token"';
  if (code === "insufficient_scope") return 'Bearer realm="portcullis", error="insufficient_scope"';
  if (code === "invalid_api_key") return 'ApiKey realm="portcullis", error="invalid_api_key"';
  return status === 401 ? 'Bearer realm="portcullis"' : undefined;
}

export function sendProblem(
  reply: FastifyReply,
  code: ProblemCode,
  options: ProblemOptions = {},
): FastifyReply {
  const body = problemBody(code, options);
  const challenge = bearerChallenge(code, body.status);
  if (challenge !== undefined && (body.status === 401 || body.status === 403))
    reply.header("www-authenticate", challenge);
  for (const [name, value] of Object.entries(options.headers ?? {})) reply.header(name, value);
  return reply.code(body.status).type("application/problem+json").send(JSON.stringify(body));
}
