/**
 * The two calls a resource server makes to Portcullis itself, both authenticated by an API key
 * with the `introspect` scope: `POST /v1/auth/introspect` (RFC 7662) and
 * `GET /v1/auth/revocations?since=` (what the revocation bus carried while we were not listening).
 * Redirects are refused (the key must not follow one elsewhere), every call has a timeout, and the
 * key never appears in an error.
 */

export interface PortcullisClientOptions {
  /** Where this service reaches Portcullis, e.g. `http://portcullis.internal:3000`. */
  url: string;
  /** An API key with the `introspect` scope, made by an administrator. */
  apiKey: string;
  timeoutMs: number;
}

export type CallOutcome<T> =
  | { ok: true; value: T }
  | { ok: false; status: number | null; retryAfter?: number };

export interface PortcullisClient {
  introspect(token: string): Promise<CallOutcome<Record<string, unknown>>>;
  revocationsSince(since: number | null): Promise<CallOutcome<Record<string, unknown>>>;
}

export function createPortcullisClient(options: PortcullisClientOptions): PortcullisClient {
  const base = options.url.replace(/\/+$/, "");

  async function call(path: string, init: RequestInit): Promise<CallOutcome<Record<string, unknown>>> {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        ...init,
        redirect: "error",
        signal: AbortSignal.timeout(options.timeoutMs),
        headers: { accept: "application/json", "x-api-key": options.apiKey, ...init.headers },
      });
    } catch {
      return { ok: false, status: null };
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => {});
      const retryAfter = Number(response.headers.get("retry-after"));
      return {
        ok: false,
        status: response.status,
        ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfter } : {}),
      };
    }
    try {
      const value: unknown = await response.json();
      if (typeof value === "object" && value !== null && !Array.isArray(value))
        return { ok: true, value: value as Record<string, unknown> };
    } catch {
      // Not JSON: treated as an unusable answer below.
    }
    return { ok: false, status: response.status };
  }

  return {
    introspect: (token) =>
      call("/v1/auth/introspect", {
        method: "POST",
        // RFC 7662 §2.1: form-encoded.
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token }).toString(),
      }),
    revocationsSince: (since) =>
      call(`/v1/auth/revocations${since === null ? "" : `?since=${Math.max(0, Math.floor(since))}`}`, {
        method: "GET",
      }),
  };
}
