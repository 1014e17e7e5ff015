/**
 * Invariant: `GET /metrics` is not open to whoever reaches the public port. An authorised scraper
 * still gets the Prometheus text API.md promises: with PORTCULLIS_METRICS_TOKEN, anywhere, by
 * sending the token as a bearer token (anyone else: 401); on the metrics listener of its own
 * (PORTCULLIS_METRICS_PORT); and, with neither configured, outside production from loopback only.
 * Everyone else gets the 404 of an unknown path, and in production nobody is answered without one
 * of the two settings.
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { createServer, type PortcullisServer } from "../../src/index.js";
import { expectProblem } from "../support/problem-assertions.js";
import { createTestApp, TEST_SECRET, type TestApp } from "../support/test-app.js";

const TOKEN = "scrape-9bNc3HfJ6dYg1AeUoTiPrXzQwEvBnMkSl";
const PROMETHEUS_TEXT = /^text\/plain; version=0\.0\.4/;

let app: TestApp | undefined;
let outbox: string | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
  if (outbox !== undefined) rmSync(outbox, { recursive: true, force: true });
  outbox = undefined;
});

/** Production needs somewhere to put mail: a folder of this test's own. */
function production(): Record<string, string> {
  outbox = mkdtempSync(join(tmpdir(), "portcullis-metrics-outbox-"));
  return { NODE_ENV: "production", PORTCULLIS_MAIL_OUTBOX: outbox };
}

const scrape = (t: TestApp, headers: Record<string, string> = {}, remoteAddress = "127.0.0.1") =>
  t.app.inject({ method: "GET", url: "/metrics", headers, remoteAddress });

describe("metrics › without a token or a metrics listener", () => {
  it("answers a loopback scraper outside production", async () => {
    app = await createTestApp();

    const response = await scrape(app);

    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toMatch(PROMETHEUS_TEXT);
    expect(response.body).toContain("portcullis_logins_total");
  });

  it("answers anyone else 404, as for an unknown path", async () => {
    app = await createTestApp();

    expectProblem(await scrape(app, {}, "203.0.113.9"), 404, "not_found");
    expectProblem(await scrape(app, {}, "::ffff:192.0.2.1"), 404, "not_found");
  });

  it("believes the socket, not X-Forwarded-For, even behind a trusted proxy", async () => {
    app = await createTestApp({ env: { PORTCULLIS_TRUST_PROXY: "1" } });

    const response = await scrape(app, { "x-forwarded-for": "127.0.0.1" }, "203.0.113.9");

    expectProblem(response, 404, "not_found");
  });

  it("answers nobody in production, loopback included", async () => {
    app = await createTestApp({ env: production() });

    expectProblem(await scrape(app), 404, "not_found");
  });
});

describe("metrics › with PORTCULLIS_METRICS_TOKEN", () => {
  it("serves the Prometheus text to the bearer of the token, in production too", async () => {
    app = await createTestApp({
      env: { ...production(), PORTCULLIS_METRICS_TOKEN: TOKEN },
    });

    const response = await scrape(app, { authorization: `Bearer ${TOKEN}` }, "203.0.113.9");

    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toMatch(PROMETHEUS_TEXT);
    expect(response.body).toContain("portcullis_http_request_duration_seconds");
  });

  it("answers 401 with a Bearer challenge without the token, from loopback too", async () => {
    app = await createTestApp({ env: { PORTCULLIS_METRICS_TOKEN: TOKEN } });

    const response = await scrape(app);

    expectProblem(response, 401, "unauthenticated");
    expect(response.headers["www-authenticate"]).toMatch(/^Bearer /);
  });

  it.each([
    ["another token", `Bearer ${TOKEN.slice(0, -1)}x`],
    ["the token with a suffix", `Bearer ${TOKEN}x`],
    ["the token in another scheme", `Basic ${TOKEN}`],
    ["a bare token", TOKEN],
  ])("answers 401 invalid_token to %s", async (_case, authorization) => {
    app = await createTestApp({ env: { PORTCULLIS_METRICS_TOKEN: TOKEN } });

    const response = await scrape(app, { authorization });

    expectProblem(response, 401, "invalid_token");
    expect(response.body).not.toContain("portcullis_");
  });
});

describe("metrics › on a listener of its own (PORTCULLIS_METRICS_PORT)", () => {
  let server: PortcullisServer | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  async function startServer(env: Record<string, string> = {}) {
    dir = mkdtempSync(join(tmpdir(), "portcullis-metrics-"));
    server = await createServer(
      loadConfig({
        NODE_ENV: "test",
        HOST: "127.0.0.1",
        PORT: "0",
        DATABASE_URL: `sqlite:${join(dir, "portcullis.db")}`,
        PORTCULLIS_DATA_DIR: dir,
        PORTCULLIS_SECRET: TEST_SECRET,
        PORTCULLIS_METRICS_PORT: "0",
        ...env,
      }),
      { logger: false, hasher: { memoryCost: 1024, timeCost: 1 } },
    );
    await server.listen();
    const port = (listener: { server: { address(): unknown } }) =>
      (listener.server.address() as AddressInfo).port;
    if (server.metricsApp === undefined) throw new Error("no metrics listener was built");
    return {
      publicUrl: `http://127.0.0.1:${port(server.app)}`,
      metricsUrl: `http://127.0.0.1:${port(server.metricsApp)}`,
    };
  }

  it("serves /metrics there, counting the public listener's requests, and nowhere else", async () => {
    const { publicUrl, metricsUrl } = await startServer();
    expect(metricsUrl).not.toBe(publicUrl);
    expect((await fetch(`${publicUrl}/healthz`)).status).toBe(200);

    const scraped = await fetch(`${metricsUrl}/metrics`);
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get("content-type")).toMatch(PROMETHEUS_TEXT);
    expect(await scraped.text()).toMatch(
      /^portcullis_http_request_duration_seconds_count\{[^}]*route="\/healthz"[^}]*\} 1$/m,
    );

    // The public listener no longer answers it, loopback or not; the metrics one serves nothing else.
    const onPublic = await fetch(`${publicUrl}/metrics`);
    expect(onPublic.status).toBe(404);
    expect(await onPublic.json()).toMatchObject({ code: "not_found" });
    expect((await fetch(`${metricsUrl}/healthz`)).status).toBe(404);
    expect((await fetch(`${metricsUrl}/v1/auth/login`, { method: "POST" })).status).toBe(404);
  });

  it("asks for the token there too when one is configured, and serves it publicly with it", async () => {
    const { publicUrl, metricsUrl } = await startServer({ PORTCULLIS_METRICS_TOKEN: TOKEN });
    const withToken = { headers: { authorization: `Bearer ${TOKEN}` } };

    expect((await fetch(`${metricsUrl}/metrics`)).status).toBe(401);
    expect((await fetch(`${metricsUrl}/metrics`, withToken)).status).toBe(200);
    expect((await fetch(`${publicUrl}/metrics`)).status).toBe(401);
    expect((await fetch(`${publicUrl}/metrics`, withToken)).status).toBe(200);
  });

  it("closes the metrics listener with the server", async () => {
    const { metricsUrl } = await startServer();
    await server?.close();
    server = undefined;

    await expect(fetch(`${metricsUrl}/metrics`)).rejects.toThrow();
  });
});
