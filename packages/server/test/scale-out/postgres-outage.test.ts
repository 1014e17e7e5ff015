/**
 * PostgreSQL's connections are killed, then it is away for a while, then back (through a TCP
 * proxy, so the shared server stays up for other suites). Requests fail cleanly with 503
 * problems while it is away, /readyz answers 503, and both recover without a restart; nothing
 * accepted before is lost.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "../support/problem-assertions.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";
import { bearer, createTestApp, STRONG_PASSWORD, type TestApp, uniqueEmail } from "../support/test-app.js";
import { createPostgresSchema, POSTGRES_TEST_URL } from "../support/test-stores.js";

let proxy: TcpProxy;
let t: TestApp;

beforeAll(async () => {
  const target = new URL(POSTGRES_TEST_URL);
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
  const schema = await createPostgresSchema();
  const viaProxy = new URL(schema.url);
  viaProxy.port = String(proxy.port);
  t = await createTestApp({ env: { DATABASE_URL: viaProxy.toString() } });
});
afterAll(async () => {
  proxy?.goUp();
  await t?.close();
  await proxy?.close();
});

async function signUp() {
  const email = uniqueEmail("pg-outage");
  expect((await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD })).statusCode).toBe(201);
  const login = await t.post("/v1/auth/login", { email, password: STRONG_PASSWORD });
  expect(login.statusCode).toBe(200);
  return { email, ...login.json<{ accessToken: string }>() };
}

describe("PostgreSQL connections killed, then PostgreSQL away, then back", () => {
  it("answers 503 problems while it is away and recovers by itself", async () => {
    const before = await signUp();

    // Every pooled connection dies at once, as in a database restart: no 500, and service resumes.
    proxy.cutConnections();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await t.get("/v1/me", bearer(before.accessToken))).statusCode);
    expect(statuses.every((status) => status === 200 || status === 503)).toBe(true);
    expect(statuses.at(-1)).toBe(200);

    proxy.goDown();
    // The device list is read from SQL on every request (GET /v1/me may still come from the cache of users).
    expectProblem(await t.get("/v1/sessions", bearer(before.accessToken)), 503, "service_unavailable");
    const login = await t.post("/v1/auth/login", { email: before.email, password: STRONG_PASSWORD });
    expectProblem(login, 503, "service_unavailable");
    expect(login.headers["retry-after"]).toBe("1");
    const register = await t.post("/v1/auth/register", {
      email: uniqueEmail("lost"),
      password: STRONG_PASSWORD,
    });
    expectProblem(register, 503, "service_unavailable");
    const ready = await t.get("/readyz");
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: "unavailable", checks: { database: { status: "down" } } });
    expect((await t.get("/healthz")).statusCode).toBe(200);

    proxy.goUp();
    expect((await t.get("/readyz")).statusCode).toBe(200);
    // What was accepted before the outage is all there.
    const again = await t.post("/v1/auth/login", { email: before.email, password: STRONG_PASSWORD });
    expect(again.statusCode).toBe(200);
    expect((await t.get("/v1/me", bearer(before.accessToken))).json()).toMatchObject({
      user: { email: before.email },
    });
  });
});
