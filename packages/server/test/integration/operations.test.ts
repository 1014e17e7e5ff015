/**
 * Discovery and operations (API.md "Discovery and operations"): liveness, readiness that follows
 * the database, Prometheus metrics, the OpenAPI document and its docs page, and RFC 8414
 * metadata built from the configured public URL, never from request headers.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestApp, PUBLIC_URL, type TestApp } from "../support/test-app.js";

let app: TestApp;

beforeEach(async () => {
  app = await createTestApp();
});

afterEach(async () => {
  await app.close();
});

describe("operations › health and readiness", () => {
  it("/healthz answers 200 while the process is up", async () => {
    const response = await app.get("/healthz");

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: "ok" });
  });

  it("/readyz answers 200 with checks.database ok while the database answers", async () => {
    const response = await app.get("/readyz");

    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: "ok", checks: { database: { status: "ok" } } });
  });

  it("/readyz answers 503 naming the database once the database no longer answers", async () => {
    await app.database.close();

    const response = await app.get("/readyz");

    expect(response.statusCode).toBe(503);
    const body = response.json<{ status: string; checks: { database: { status: string } } }>();
    expect(body.checks.database.status).not.toBe("ok");
    expect(body.status).not.toBe("ok");
    // Liveness does not depend on the database: restarting would not help.
    expect((await app.get("/healthz")).statusCode).toBe(200);
  });
});

describe("operations › metrics", () => {
  it("/metrics serves Prometheus text whose metrics are all named portcullis_", async () => {
    await app.get("/healthz");

    const response = await app.get("/metrics");

    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    const types = [...response.body.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((match) => match[1]);
    expect(types.length).toBeGreaterThan(0);
    for (const name of types) expect(name).toMatch(/^portcullis_/);
    expect(types).toEqual(
      expect.arrayContaining([
        "portcullis_http_request_duration_seconds",
        "portcullis_logins_total",
        "portcullis_revocation_set_size",
      ]),
    );
    expect(response.body).toMatch(
      /^portcullis_http_request_duration_seconds_count\{[^}]*route="\/healthz"[^}]*\} 1$/m,
    );
  });

  it("labels requests by route pattern, never by the raw URL", async () => {
    await app.get("/no-such-page-7f3a9c?token=s3cr3t-query-value");

    const body = (await app.get("/metrics")).body;

    expect(body).not.toContain("7f3a9c");
    expect(body).not.toContain("s3cr3t-query-value");
  });
});

describe("operations › API documentation", () => {
  it("/openapi.json lists /v1/auth/login and /v1/me, with the User schema in components", async () => {
    const response = await app.get("/openapi.json");

    expect(response.statusCode).toBe(200);
    const document = response.json<{
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    }>();
    expect(document.openapi).toMatch(/^3\./);
    expect(document.paths["/v1/auth/login"]).toHaveProperty("post");
    expect(document.paths["/v1/me"]).toHaveProperty("get");
    const user = document.components.schemas.User;
    expect(Object.keys(user?.properties ?? {}).sort()).toEqual(
      ["createdAt", "email", "emailVerified", "id", "mfaEnabled", "name", "roles"].sort(),
    );
  });

  it("/docs serves an HTML page", async () => {
    const response = await app.get("/docs");

    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^text\/html/);
    expect(response.body).toMatch(/<html/i);
  });
});

describe("operations › discovery", () => {
  it("/.well-known/oauth-authorization-server names the public URL as issuer and its jwks_uri", async () => {
    const response = await app.get("/.well-known/oauth-authorization-server");

    expect(response.statusCode).toBe(200);
    const metadata = response.json<{ issuer: string; jwks_uri: string }>();
    expect(metadata.issuer).toBe(PUBLIC_URL);
    expect(metadata.jwks_uri).toBe(`${PUBLIC_URL}/.well-known/jwks.json`);
  });

  it("builds the metadata from the configured public URL, not from Host or X-Forwarded-* headers", async () => {
    const response = await app.get("/.well-known/oauth-authorization-server", {
      host: "evil.example",
      "x-forwarded-host": "evil.example",
      "x-forwarded-proto": "https",
    });

    expect(response.statusCode).toBe(200);
    expect(response.body).not.toContain("evil.example");
    expect(response.json<{ issuer: string }>().issuer).toBe(PUBLIC_URL);
  });

  it("the jwks_uri serves public keys only, each with kid, alg and use", async () => {
    const { jwks_uri } = (await app.get("/.well-known/oauth-authorization-server")).json<{
      jwks_uri: string;
    }>();

    const response = await app.get(new URL(jwks_uri).pathname);

    expect(response.statusCode).toBe(200);
    const { keys } = response.json<{ keys: Record<string, unknown>[] }>();
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).toMatchObject({ kid: expect.any(String), alg: "ES256", use: "sig" });
      for (const privateMember of ["d", "p", "q", "dp", "dq", "qi", "k"])
        expect(key).not.toHaveProperty(privateMember);
    }
  });
});
