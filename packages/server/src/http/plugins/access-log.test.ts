import { pino } from "pino";
import { describe, expect, it } from "vitest";
import {
  ACCESS_LOG_MESSAGE,
  type AccessLogEntry,
  createAccessLogFormatter,
  formatAccessLine,
} from "./access-log.js";

/** What pino itself writes for `entry` as an `info` line of a request's child logger. */
function pinoLine(entry: AccessLogEntry, reqId: string, time: number): string {
  const lines: string[] = [];
  const logger = pino(
    { base: { pid: 4242, hostname: 'host "one"' }, timestamp: () => `,"time":${time}` },
    { write: (line: string) => lines.push(line) },
  );
  logger.child({ reqId }).info(entry, ACCESS_LOG_MESSAGE);
  return lines.join("");
}

const format = createAccessLogFormatter({ pid: 4242, hostname: 'host "one"' });
const REQUEST_ID = "3f1d5c1e-1111-2222-3333-444455556666";

describe("createAccessLogFormatter", () => {
  it("writes the very line pino would, for a signed-in request", () => {
    const entry: AccessLogEntry = {
      method: "GET",
      route: "/v1/sessions/:id",
      status: 200,
      durationMs: 1.25,
      userId: "0193a0b1-aaaa-4bbb-8ccc-ddddeeeeffff",
      sessionId: "0193a0b1-1111-4222-8333-444455556666",
    };
    expect(format(entry, REQUEST_ID, 1_700_000_000_123)).toBe(pinoLine(entry, REQUEST_ID, 1_700_000_000_123));
  });

  it("writes the very line pino would when nobody is signed in and no route matched", () => {
    const entry: AccessLogEntry = {
      method: "POST",
      route: null,
      status: 404,
      durationMs: 0.5,
      userId: undefined,
      sessionId: undefined,
    };
    const line = format(entry, REQUEST_ID, 1);
    expect(line).toBe(pinoLine(entry, REQUEST_ID, 1));
    expect(JSON.parse(line)).not.toHaveProperty("userId");
  });

  it("escapes what it is given, so no value can break out of its field", () => {
    const entry: AccessLogEntry = {
      method: 'GET","admin":true',
      route: "/a\nb",
      status: 200,
      durationMs: 1,
      userId: '\\"',
      sessionId: undefined,
    };
    const line = format(entry, REQUEST_ID, 1);
    expect(line.endsWith("}\n")).toBe(true);
    expect(line.slice(0, -1)).not.toContain("\n");
    expect(JSON.parse(line)).toMatchObject({ method: 'GET","admin":true', route: "/a\nb", userId: '\\"' });
    expect(JSON.parse(line)).not.toHaveProperty("admin");
  });
});

describe("formatAccessLine", () => {
  it("renders an access-log line as one line of text, and leaves other lines alone", () => {
    expect(
      formatAccessLine({
        msg: ACCESS_LOG_MESSAGE,
        method: "GET",
        route: "/v1/me",
        status: 200,
        durationMs: 1.2,
        userId: "u-1",
        sessionId: "s-1",
      }),
    ).toBe("GET /v1/me 200 1.2 ms (user u-1, session s-1)");
    expect(
      formatAccessLine({ msg: ACCESS_LOG_MESSAGE, method: "GET", route: null, status: 404, durationMs: 0.3 }),
    ).toBe("GET (no route) 404 0.3 ms");
    expect(formatAccessLine({ msg: "signing key reload failed" })).toBeNull();
  });
});
