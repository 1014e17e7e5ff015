/**
 * A real webhook receiver on loopback: a `node:http` server that records every request and
 * verifies its signature as the Standard Webhooks specification tells a receiver to — written here
 * with `node:crypto` alone, independent of the server's signing code, so it is an oracle. It can
 * answer any status, or be closed (connection refused) and opened again on the same port.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedWebhook {
  id: string;
  timestamp: number;
  signature: string;
  contentType: string | undefined;
  body: string;
  payload: { type: string; timestamp: string; data: Record<string, unknown> };
  /** True when one of the `v1,` signatures is the HMAC of `{id}.{timestamp}.{body}` under the secret. */
  verified: boolean;
  headers: IncomingHttpHeaders;
}

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>/hooks/<path>` */
  url(path?: string): string;
  received: ReceivedWebhook[];
  /** TCP connections accepted so far (a refused attempt never opens one). */
  connections(): number;
  /** The secret to verify with (`whsec_…`), once the webhook is created. */
  useSecret(secret: string): void;
  /** The status every request is answered with (204 at first); "never" leaves it unanswered. */
  answerWith(status: number | "never"): void;
  /** Resolves with the next request (or one that already came in beyond `after`). */
  next(after?: number): Promise<ReceivedWebhook>;
  /** Stops listening: attempts meet a refused connection. */
  goDown(): Promise<void>;
  /** Listens again on the same port. */
  comeBack(): Promise<void>;
  close(): Promise<void>;
}

/** Standard Webhooks, "Verifying webhook authenticity": key = base64 decode of what follows `whsec_`. */
export function verifyStandardWebhook(
  secret: string,
  id: string,
  timestamp: string,
  body: string,
  header: string,
) {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest();
  return header.split(" ").some((entry) => {
    const [version, signature] = entry.split(",");
    if (version !== "v1" || signature === undefined) return false;
    const given = Buffer.from(signature, "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const waiters: Array<{ index: number; resolve: (hook: ReceivedWebhook) => void }> = [];
  let secret = "";
  let status: number | "never" = 204;
  let port = 0;
  let connections = 0;
  let server: Server;

  function settleWaiters(): void {
    for (const waiter of [...waiters]) {
      const hook = received[waiter.index];
      if (hook === undefined) continue;
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(hook);
    }
  }

  function listen(): Promise<void> {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const header = (name: string) => {
          const value = request.headers[name];
          return typeof value === "string" ? value : "";
        };
        received.push({
          id: header("webhook-id"),
          timestamp: Number(header("webhook-timestamp")),
          signature: header("webhook-signature"),
          contentType: request.headers["content-type"],
          body,
          payload: JSON.parse(body) as ReceivedWebhook["payload"],
          verified:
            secret !== "" &&
            verifyStandardWebhook(
              secret,
              header("webhook-id"),
              header("webhook-timestamp"),
              body,
              header("webhook-signature"),
            ),
          headers: request.headers,
        });
        settleWaiters();
        if (status === "never") return;
        // A redirect names somewhere else; a sender must not follow it.
        if (status >= 300 && status < 400) response.setHeader("location", "http://127.0.0.1:1/elsewhere");
        response.statusCode = status;
        response.end();
      });
    });
    server.on("connection", () => {
      connections += 1;
    });
    return new Promise((resolve) => {
      server.listen(port, "127.0.0.1", () => {
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });

  await listen();
  return {
    url: (path = "portcullis") => `http://127.0.0.1:${port}/hooks/${path}`,
    received,
    connections: () => connections,
    useSecret(value) {
      secret = value;
    },
    answerWith(value) {
      status = value;
    },
    next(after = received.length) {
      return new Promise((resolve) => {
        waiters.push({ index: after, resolve });
        settleWaiters();
      });
    },
    goDown: stop,
    comeBack: listen,
    close: () => (server.listening ? stop() : Promise.resolve()),
  };
}
