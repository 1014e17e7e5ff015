/**
 * A graceful shutdown loses no request that was accepted and leaves no connection behind: once
 * the drain begins, /readyz answers 503, new connections are refused, a request in flight gets its
 * normal answer and — like any request that arrives on a keep-alive connection already open —
 * `Connection: close`, so its connection closes after it instead of lingering idle for the
 * keep-alive timeout; a connection idle since before the drain is closed after a short grace; and
 * what still runs at the deadline is cut. Driven over real sockets against a listening app.
 */
import { once } from "node:events";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { keepAliveAgent, send, startRequestInFlight, type Target } from "../support/keep-alive-client.js";
import { createTestApp, type TestApp } from "../support/test-app.js";

/** Longer than any of these tests may take: reaching it would mean the drain waited for it. */
const NEVER_MS = 60_000;
const LOGIN = { email: "nobody@example.com", password: "not-the-password-at-all" };

let apps: TestApp[] = [];

afterEach(async () => {
  await Promise.all(apps.map((app) => app.close()));
  apps = [];
});

async function listeningApp(): Promise<{ app: TestApp; target: Target }> {
  const app = await createTestApp();
  apps.push(app);
  await app.app.listen({ port: 0, host: "127.0.0.1" });
  return { app, target: { port: (app.app.server.address() as AddressInfo).port } };
}

/** Starts a login whose body is held back, and resolves once the server has the request. */
async function loginInFlight(app: TestApp, target: Target) {
  const arrived = once(app.app.server, "request");
  const request = startRequestInFlight(target, keepAliveAgent(1), "/v1/auth/login", LOGIN);
  await arrived;
  return request;
}

describe("shutdown › connection drain", () => {
  it("answers /readyz 503 on an open keep-alive connection, refuses new connections, answers the request in flight with Connection: close, and ends when both connections have closed", async () => {
    const { app, target } = await listeningApp();
    const idle = keepAliveAgent(1);
    const warm = await send(target, idle, { method: "GET", path: "/readyz" });
    expect(warm.status).toBe(200);
    expect(warm.headers.connection).toBe("keep-alive");
    const inFlight = await loginInFlight(app, target);

    // Neither the idle grace nor the deadline can end this drain: only the connections closing can.
    const drained = app.drain({ timeoutMs: NEVER_MS, idleGraceMs: NEVER_MS });

    const ready = await send(target, idle, { method: "GET", path: "/readyz" });
    expect(ready.reusedSocket).toBe(true);
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toEqual({ status: "shutting_down", checks: {} });
    expect(ready.headers.connection).toBe("close");

    await expect(send(target, keepAliveAgent(1), { method: "GET", path: "/healthz" })).rejects.toMatchObject({
      code: "ECONNREFUSED",
    });

    inFlight.finish();
    const answer = await inFlight.answer;
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toMatchObject({ code: "invalid_credentials" });
    expect(answer.headers.connection).toBe("close");

    await expect(drained).resolves.toEqual({ cutConnections: 0 });
  }, 20_000);

  it("closes a keep-alive connection left idle since before the drain once the grace has passed", async () => {
    const { app, target } = await listeningApp();
    const agent = keepAliveAgent(1);
    expect((await send(target, agent, { method: "GET", path: "/healthz" })).status).toBe(200);
    const pooled = Object.values(agent.freeSockets).flat()[0] as Socket | undefined;
    expect(pooled).toBeDefined();
    const pooledClosed = once(pooled as Socket, "close");

    // Without the grace's sweep this would wait for Fastify's 72-second keep-alive timeout.
    await expect(app.drain({ timeoutMs: NEVER_MS, idleGraceMs: 100 })).resolves.toEqual({
      cutConnections: 0,
    });
    await pooledClosed;
  }, 20_000);

  it("cuts a request still running at the deadline, and says how many connections it cut", async () => {
    const { app, target } = await listeningApp();
    const inFlight = await loginInFlight(app, target);
    const timeoutMs = 500;
    const started = performance.now();

    const outcome = await app.drain({ timeoutMs });

    expect(outcome).toEqual({ cutConnections: 1 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(timeoutMs - 50);
    await expect(inFlight.answer).rejects.toMatchObject({ code: "ECONNRESET" });
  }, 20_000);

  it("drains an app that never listened at once, so a server stopped before it listens still closes", async () => {
    const app = await createTestApp();
    apps.push(app);

    await expect(app.drain({ timeoutMs: NEVER_MS })).resolves.toEqual({ cutConnections: 0 });
    expect((await app.get("/readyz")).statusCode).toBe(503);
  });
});
