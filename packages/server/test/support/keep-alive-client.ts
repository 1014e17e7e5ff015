/**
 * A real HTTP/1.1 client for shutdown tests: Node's `http.Agent` with keep-alive, as load
 * balancers and service clients keep their connections, plus a request whose body is sent in two
 * parts, so a test holds it in flight as long as it likes.
 */
import {
  Agent,
  type ClientRequest,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
} from "node:http";

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** True when the request went over a connection an earlier request had used. */
  reusedSocket: boolean;
}

export interface Target {
  port: number;
  host?: string;
}

/** A keep-alive agent that holds at most `connections` connections. */
export function keepAliveAgent(connections: number): Agent {
  return new Agent({ keepAlive: true, maxSockets: connections });
}

/** Sends one request and reads the whole answer; rejects with the socket's error (ECONNREFUSED, ECONNRESET, …). */
export function send(
  target: Target,
  agent: Agent,
  request: { method: string; path: string; json?: unknown; headers?: Record<string, string> },
): Promise<Answer> {
  const body = request.json === undefined ? undefined : JSON.stringify(request.json);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: target.host ?? "127.0.0.1",
        port: target.port,
        method: request.method,
        path: request.path,
        agent,
        headers: {
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...request.headers,
        },
      },
      (response) => readAnswer(outgoing, response).then(resolve, reject),
    );
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

export interface RequestInFlight {
  /** Settles with the answer, or rejects when the connection is cut. */
  answer: Promise<Answer>;
  /** Sends the rest of the body. */
  finish(): void;
}

/**
 * Starts `POST path` with a JSON body of which only the first bytes are sent: the server has the
 * request (its handler waits for the body) until `finish()`.
 */
export function startRequestInFlight(
  target: Target,
  agent: Agent,
  path: string,
  json: unknown,
): RequestInFlight {
  const body = JSON.stringify(json);
  const outgoing = httpRequest({
    host: target.host ?? "127.0.0.1",
    port: target.port,
    method: "POST",
    path,
    agent,
    headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) },
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    outgoing.on("response", (response) => readAnswer(outgoing, response).then(resolve, reject));
    outgoing.on("error", reject);
  });
  // Handled by whoever awaits it; never an unhandled rejection in between.
  answer.catch(() => {});
  outgoing.write(body.slice(0, 5));
  return { answer, finish: () => outgoing.end(body.slice(5)) };
}

function readAnswer(request: ClientRequest, response: IncomingMessage): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let body = "";
    response.setEncoding("utf8");
    response.on("data", (chunk: string) => {
      body += chunk;
    });
    response.on("error", reject);
    // A body cut short by the server is an error, never a short answer.
    response.on("close", () => {
      if (!response.complete) reject(Object.assign(new Error("response cut short"), { code: "ECONNRESET" }));
    });
    response.on("end", () =>
      resolve({
        status: response.statusCode ?? 0,
        headers: response.headers,
        body,
        reusedSocket: request.reusedSocket,
      }),
    );
  });
}
