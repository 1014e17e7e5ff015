/**
 * One webhook attempt over HTTP: a `POST` of the signed body, a 2xx answer within the timeout
 * delivers, anything else (another status, a redirect — never followed —, a refused connection,
 * silence) fails. Built on `node:http`/`node:https` because the connection's address must be
 * checked: in production the resolver this sender connects through refuses a host name if any
 * address it resolves to is not public (domain/webhooks/webhook-url.ts). Checking the address
 * that is actually dialled, rather than resolving once when the URL is saved, is what defeats DNS
 * rebinding (a name that resolved to a public address at creation and to 127.0.0.1 later). A URL
 * naming an address literally is checked before connecting, with the rules of saving one.
 *
 * Results are values: a description short enough to show an administrator, which names the
 * endpoint's host at most, never its path or query (they may hold the receiver's own token).
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import { checkWebhookUrl, isNonPublicAddress } from "../domain/webhooks/webhook-url.js";

export interface WebhookRequest {
  url: string;
  /** The Standard Webhooks headers: `webhook-id`, `webhook-timestamp`, `webhook-signature`. */
  headers: Record<string, string>;
  body: string;
}

export type WebhookAttemptResult =
  | { ok: true; statusCode: number }
  | { ok: false; statusCode: number | null; error: string };

export interface WebhookSender {
  send(request: WebhookRequest): Promise<WebhookAttemptResult>;
}

/** Resolves a host name to every address it has (`dns.lookup` with `all: true` by default). */
export type HostResolver = (hostname: string) => Promise<LookupAddress[]>;

export interface WebhookSenderOptions {
  timeoutMs: number;
  /** Production: only public addresses, only https. */
  production: boolean;
  resolveHost?: HostResolver;
}

const USER_AGENT = "Portcullis-Webhooks/1";

const systemResolver: HostResolver = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
  });

/** Thrown by the resolver when a name leads to a non-public address; it ends the attempt before any connection. */
class NonPublicAddressError extends Error {
  override readonly name = "NonPublicAddressError";
  readonly code = "ERR_WEBHOOK_NON_PUBLIC_ADDRESS";
  constructor(readonly hostname: string) {
    super(`${hostname} resolves to a non-public address`);
  }
}

function guardedLookup(resolveHost: HostResolver, production: boolean): LookupFunction {
  return (hostname, options, callback) => {
    resolveHost(hostname).then(
      (resolved) => {
        const family = options.family === 4 || options.family === 6 ? options.family : undefined;
        const addresses =
          family === undefined ? resolved : resolved.filter((entry) => entry.family === family);
        // Any one: with several addresses the connection may pick either (happy eyeballs).
        if (production && addresses.some((entry) => isNonPublicAddress(entry.address))) {
          callback(new NonPublicAddressError(hostname), "", 0);
          return;
        }
        const first = addresses[0];
        if (first === undefined) {
          callback(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), "", 0);
        } else if (options.all === true) {
          callback(null, addresses);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: NodeJS.ErrnoException) => callback(error, "", 0),
    );
  };
}

const ERROR_WORDS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EPIPE: "connection closed",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ERR_WEBHOOK_NON_PUBLIC_ADDRESS: "refused: the host resolves to a non-public address",
};

function describeError(error: unknown): string {
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
  const words = ERROR_WORDS[code];
  if (words !== undefined) return words;
  if (/CERT|SELF_SIGNED|TLS|SSL/.test(code)) return `TLS certificate not accepted (${code})`;
  return code === "" ? "request failed" : `request failed (${code})`;
}

const describeDuration = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);

/**
 * @example
 * const sender = createWebhookSender({ timeoutMs: 10_000, production: config.env === "production" });
 * await sender.send({ url, headers, body }); // { ok: true, statusCode: 204 }
 */
export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  const lookup = guardedLookup(options.resolveHost ?? systemResolver, options.production);

  return {
    send(request) {
      // Checked when it was saved; again here, since the deployment may have changed since. This is
      // also what refuses a non-public address written literally: no resolver runs for one.
      const verdict = checkWebhookUrl(request.url, { production: options.production });
      if (!verdict.ok)
        return Promise.resolve({ ok: false, statusCode: null, error: `refused: the URL ${verdict.reason}` });
      const url = new URL(request.url);

      return new Promise<WebhookAttemptResult>((resolve) => {
        let settled = false;
        const settle = (result: WebhookAttemptResult) => {
          if (settled) return;
          settled = true;
          resolve(result);
        };
        const send = url.protocol === "https:" ? httpsRequest : httpRequest;
        const outgoing = send(
          url,
          {
            method: "POST",
            // A fresh connection per attempt (no pool): each one goes through the guarded resolver.
            agent: false,
            lookup,
            headers: {
              ...request.headers,
              "content-type": "application/json",
              "content-length": String(Buffer.byteLength(request.body)),
              "user-agent": USER_AGENT,
            },
          },
          (response: IncomingMessage) => {
            const statusCode = response.statusCode ?? 0;
            // The answer's body is not read, only drained; the timer still ends a body that never stops.
            response.on("error", () => {});
            response.on("close", () => clearTimeout(timer));
            response.resume();
            settle(
              statusCode >= 200 && statusCode < 300
                ? { ok: true, statusCode }
                : { ok: false, statusCode, error: `answered ${statusCode}` },
            );
          },
        );
        const timer = setTimeout(() => {
          settle({
            ok: false,
            statusCode: null,
            error: `no answer within ${describeDuration(options.timeoutMs)}`,
          });
          outgoing.destroy();
        }, options.timeoutMs);
        timer.unref();
        outgoing.on("error", (error) => {
          clearTimeout(timer);
          settle({ ok: false, statusCode: null, error: describeError(error) });
        });
        outgoing.end(request.body);
      });
    },
  };
}
