/**
 * Invariant: a request's logger is made only when something logs, and then logs exactly what the
 * logger Fastify would have made: the request id bound, the redaction paths applied.
 */
import Fastify, { LogController } from "fastify";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { lazyChildLoggerFactory } from "./lazy-request-logger.js";
import { LOG_REDACTIONS } from "./server-instance.js";

function appLoggingTo(lines: string[]) {
  const logger = pino(
    { level: "info", redact: { paths: LOG_REDACTIONS, censor: "[redacted]" } },
    { write: (line: string) => lines.push(line) },
  );
  let children = 0;
  const child = logger.child.bind(logger);
  logger.child = ((...args: Parameters<typeof child>) => {
    children += 1;
    return child(...args);
  }) as typeof logger.child;
  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: lazyChildLoggerFactory,
    genReqId: () => "req-1",
  });
  app.get("/quiet", async () => ({ ok: true }));
  app.get("/loud", async (request) => {
    request.log.warn({ body: { password: "hunter2" }, detail: "kept" }, "something odd");
    request.log.info("again");
    return { ok: true };
  });
  return { app, children: () => children };
}

describe("the request logger made on first use", () => {
  it("is never made for a request that does not log", async () => {
    const lines: string[] = [];
    const { app, children } = appLoggingTo(lines);
    await app.ready();
    const atStart = children();
    expect((await app.inject("/quiet")).statusCode).toBe(200);
    expect((await app.inject("/quiet")).statusCode).toBe(200);
    expect(children()).toBe(atStart);
    expect(lines).toEqual([]);
    await app.close();
  });

  it("is made once when a request logs, with the request id bound and secrets redacted", async () => {
    const lines: string[] = [];
    const { app, children } = appLoggingTo(lines);
    await app.ready();
    const atStart = children();
    expect((await app.inject("/loud")).statusCode).toBe(200);
    expect(children()).toBe(atStart + 1);
    const [warned, again] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(warned).toMatchObject({
      level: 40,
      reqId: "req-1",
      body: { password: "[redacted]" },
      detail: "kept",
      msg: "something odd",
    });
    expect(again).toMatchObject({ level: 30, reqId: "req-1", msg: "again" });
    expect(lines.join("")).not.toContain("hunter2");
    await app.close();
  });
});
