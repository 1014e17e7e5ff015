/**
 * The access log: one line per request, written once the answer has gone (`onResponse`), in place
 * of Fastify's two ("incoming request" and "request completed", which `AccessLogController`
 * drops). It names the route pattern, never the URL, whose query a client may have filled with
 * what does not belong in a log (ASVS 16.2.5); no headers, no bodies. Who asked is named by ids
 * only: the user and session of `request.auth` (the API) or of the person a page found signed in.
 *
 * The line has pino's shape (`level`, `time`, `pid`, `hostname`, `reqId`, the fields, `msg`) and
 * goes to the logger's own destination, but it is put together here rather than by pino: its
 * fields are a fixed set of numbers, a route pattern and ids, which need neither serializers nor
 * redaction, and pino's general path cost about 10 µs a request — a third of the throughput of a
 * cached-token `GET /v1/me` (measured: 152k requests in 6 s through pino, 208k by hand, 214k with
 * no access log).
 */
import { hostname } from "node:os";
import { type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from "fastify";
import fp from "fastify-plugin";
import { levels } from "pino";
import type { Config } from "../../config/config.js";
import type { LogStream } from "../log-destination.js";

export interface AccessLogOptions {
  /** `all`, `errors` (status ≥ 400 only) or `off` (PORTCULLIS_ACCESS_LOG). */
  setting: Config["accessLog"];
  /** The logger's level (PORTCULLIS_LOG_LEVEL): access-log lines are `info`. */
  level: string;
  /** The logger's destination; undefined when the app logs nothing. */
  stream: LogStream | undefined;
}

/** What an access-log line says about a request. */
export interface AccessLogEntry {
  method: string;
  /** The route pattern (`/v1/sessions/:id`); null when no route matched. */
  route: string | null;
  status: number;
  durationMs: number;
  /** Left out of the line when nobody is signed in. */
  userId: string | undefined;
  sessionId: string | undefined;
}

/** A request as the access log keeps it until its line is formatted. */
interface LoggedRequest {
  entry: AccessLogEntry;
  reqId: string;
  time: number;
}

export const ACCESS_LOG_MESSAGE = "request completed";
/** Pino's number for `info`, the level of access-log lines. */
const INFO = 30;

/** The fields an access-log line adds to pino's own. */
export const ACCESS_LOG_FIELDS = ["reqId", "method", "route", "status", "durationMs", "userId", "sessionId"];

/**
 * The line for a request that has been answered.
 * @example accessLogLine(describeRequest(request, reply), request.id, Date.now())
 */
export function describeRequest(request: FastifyRequest, reply: FastifyReply): AccessLogEntry {
  const auth = request.auth;
  // `page` is declared only where the pages plugin runs: elsewhere it is undefined, not null.
  const person = request.page?.signedIn;
  return {
    method: request.method,
    route: request.routeOptions.url ?? null,
    status: reply.statusCode,
    durationMs: Math.round(reply.elapsedTime * 100) / 100,
    userId: auth?.userId ?? person?.user.id,
    sessionId: auth?.sessionId ?? person?.sessionId ?? undefined,
  };
}

/** Characters a JSON string may hold as they are: what ids, methods and route patterns are made of. */
const PLAIN = /^[\w .:/@-]*$/;

/** A JSON string; `JSON.stringify` only for what needs escaping (half the cost of the line otherwise). */
function quote(value: string): string {
  return PLAIN.test(value) ? `"${value}"` : JSON.stringify(value);
}

/**
 * Writes access-log lines as pino writes an `info` line of a request's logger, with the same
 * `pid` and `hostname` (pino's default `base`).
 * @example
 * const line = createAccessLogFormatter({ pid: process.pid, hostname: hostname() });
 * stream.write(line(describeRequest(request, reply), request.id, Date.now()));
 */
export function createAccessLogFormatter(base: {
  pid: number;
  hostname: string;
}): (entry: AccessLogEntry, reqId: string, time: number) => string {
  const bindings = `,"pid":${base.pid},"hostname":${quote(base.hostname)}`;
  const end = `,"msg":${quote(ACCESS_LOG_MESSAGE)}}\n`;
  return (entry, reqId, time) => {
    let line = `{"level":${INFO},"time":${time}${bindings},"reqId":${quote(reqId)}`;
    line += `,"method":${quote(entry.method)},"route":${entry.route === null ? "null" : quote(entry.route)}`;
    line += `,"status":${entry.status},"durationMs":${entry.durationMs}`;
    if (entry.userId !== undefined) line += `,"userId":${quote(entry.userId)}`;
    if (entry.sessionId !== undefined) line += `,"sessionId":${quote(entry.sessionId)}`;
    return line + end;
  };
}

/**
 * An access-log line as one line of text, for a person reading a terminal; null for other lines.
 * @example formatAccessLine({ msg: "request completed", method: "GET", route: "/v1/me", status: 200, durationMs: 1.2 })
 * // "GET /v1/me 200 1.2 ms"
 */
export function formatAccessLine(line: Record<string, unknown>): string | null {
  if (line.msg !== ACCESS_LOG_MESSAGE) return null;
  const who = [
    typeof line.userId === "string" ? `user ${line.userId}` : "",
    typeof line.sessionId === "string" ? `session ${line.sessionId}` : "",
  ].filter((part) => part !== "");
  const route = typeof line.route === "string" ? line.route : "(no route)";
  const text = `${String(line.method)} ${route} ${String(line.status)} ${String(line.durationMs)} ms`;
  return who.length === 0 ? text : `${text} (${who.join(", ")})`;
}

/**
 * Fastify's own request lines, less the two the access log replaces: "incoming request" and a
 * successful "request completed". A response that failed (the connection broke, an `onResponse`
 * hook threw) is still logged with its error, and so are Fastify's other error lines.
 * @example Fastify({ logController: new AccessLogController() })
 */
export class AccessLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (error) super.requestCompleted(error, request, reply);
  }
}

export const accessLog = fp(
  async (app: FastifyInstance, options: AccessLogOptions) => {
    const { stream } = options;
    // `silent` is no level of pino's: nothing is logged.
    const infoEnabled = (levels.values[options.level] ?? Number.POSITIVE_INFINITY) <= INFO;
    if (options.setting === "off" || stream === undefined || !infoEnabled) return;
    const minimumStatus = options.setting === "errors" ? 400 : 0;
    const line = createAccessLogFormatter({ pid: process.pid, hostname: hostname() });
    const format = (logged: LoggedRequest) => line(logged.entry, logged.reqId, logged.time);
    // Formatted later, many at a time, where the destination can (log-destination.ts).
    const writeLater = stream.writeLater?.bind(stream);
    const log: (logged: LoggedRequest) => void =
      writeLater === undefined
        ? (logged) => stream.write(format(logged))
        : (logged) => writeLater(logged, format);
    app.addHook("onResponse", (request, reply, done) => {
      if (reply.statusCode >= minimumStatus)
        log({ entry: describeRequest(request, reply), reqId: request.id, time: Date.now() });
      done();
    });
  },
  { name: "portcullis-access-log" },
);
