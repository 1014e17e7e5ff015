/**
 * What a request looks like in the logs (pino). Fastify's default request serializer logs the
 * raw URL, query string included; credentials never belong in a URL (ASVS 14.2.1) and are never
 * read from one, but a client may still send them there, so the values of secret-looking
 * parameters, and anything shaped like a token or an API key, are replaced before the line is
 * written (ASVS 16.2.5). Headers and bodies are not logged at all; `LOG_REDACTIONS` in server-instance.ts
 * covers them should anything log them explicitly.
 */
import type { FastifyRequest } from "fastify";

const REDACTED = "[redacted]";
const SECRET_PARAMETER = /token|key|secret|password|passwd|code|state|session|auth|signature|sig$/i;
/** An API key, a JWT, or a long opaque string such as a refresh token. */
const SECRET_VALUE = /^(pc_|eyJ)|^[A-Za-z0-9_-]{40,}$/;

function decode(part: string): string {
  try {
    return decodeURIComponent(part.replaceAll("+", " "));
  } catch {
    return part;
  }
}

/**
 * The URL with secret-looking query values replaced.
 * @example redactUrl("/v1/me?api_key=pc_abc&limit=5") // "/v1/me?api_key=[redacted]&limit=5"
 */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf("?");
  if (queryStart === -1) return url;
  const query = url
    .slice(queryStart + 1)
    .split("&")
    .map((pair) => {
      const equals = pair.indexOf("=");
      const name = equals === -1 ? pair : pair.slice(0, equals);
      const value = equals === -1 ? "" : pair.slice(equals + 1);
      if (SECRET_PARAMETER.test(decode(name)) || SECRET_VALUE.test(decode(value))) {
        return `${name}=${REDACTED}`;
      }
      return SECRET_VALUE.test(decode(name)) ? REDACTED : pair;
    })
    .join("&");
  return `${url.slice(0, queryStart)}?${query}`;
}

export const LOG_SERIALIZERS = {
  req(request: FastifyRequest) {
    // Something else logged under `req` is left to the redaction paths rather than crash the log.
    if (typeof request?.url !== "string") return request as unknown as Record<string, unknown>;
    return {
      method: request.method,
      url: redactUrl(request.url),
      host: request.host,
      remoteAddress: request.ip,
      remotePort: request.socket?.remotePort ?? 0,
    };
  },
};
