/** Set-Cookie headers parsed into name, value and attributes, for asserting cookie flags. */
import type { LightMyRequestResponse } from "fastify";

export interface ParsedCookie {
  name: string;
  value: string;
  /** Attribute names lower-cased; flags (HttpOnly, Secure) map to "". */
  attributes: Record<string, string>;
}

export function parseSetCookie(header: string): ParsedCookie {
  const [pair = "", ...parts] = header.split(";").map((part) => part.trim());
  const equals = pair.indexOf("=");
  const attributes: Record<string, string> = {};
  for (const part of parts) {
    const at = part.indexOf("=");
    if (at === -1) attributes[part.toLowerCase()] = "";
    else attributes[part.slice(0, at).toLowerCase()] = part.slice(at + 1);
  }
  return { name: pair.slice(0, equals), value: decodeURIComponent(pair.slice(equals + 1)), attributes };
}

/** Every cookie the response sets. */
export function setCookies(response: LightMyRequestResponse): ParsedCookie[] {
  const header = response.headers["set-cookie"];
  const list = header === undefined ? [] : Array.isArray(header) ? header : [header];
  return list.map(parseSetCookie);
}

/** The one cookie called `name` that the response sets; throws when there is none. */
export function setCookie(response: LightMyRequestResponse, name: string): ParsedCookie {
  const found = setCookies(response).find((cookie) => cookie.name === name);
  if (found === undefined) throw new Error(`no Set-Cookie ${name} in ${JSON.stringify(response.headers)}`);
  return found;
}

/**
 * The headers of a cookie-authenticated state change: the session cookie plus the CSRF token
 * that `GET /v1/auth/csrf` issues for that session.
 */
export async function withCsrf(
  app: { get(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse> },
  cookieHeader: { cookie: string },
): Promise<{ cookie: string; "x-csrf-token": string }> {
  const response = await app.get("/v1/auth/csrf", cookieHeader);
  if (response.statusCode !== 200) throw new Error(`GET /v1/auth/csrf: ${response.body}`);
  return { ...cookieHeader, "x-csrf-token": response.json<{ csrfToken: string }>().csrfToken };
}
