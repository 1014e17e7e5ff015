/**
 * Invariant: a service protected by `@portcullis/middleware` — the Express and the Fastify
 * example, each run against a running Portcullis over HTTP — lets through exactly the callers
 * Portcullis vouches for: a valid access token for its audience and issuer (also one signed by a
 * key rotated in after the service started), an API key Portcullis says is live; and refuses the
 * rest with Portcullis's problem codes and RFC 6750 challenges — missing or garbled headers,
 * expired tokens, another audience or issuer, a role or a scope the caller lacks (scopes fail
 * closed: a session's token carries the scopes its roles grant at Portcullis, one without a
 * `scope` claim carries none). Without the revocation bus a revoked session's token lives until
 * `exp` (documented); with it, see `revocation.bus.test.ts`.
 */
import { decodeJwt, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createExpressExample } from "../../../examples/express-api/src/app.js";
import type { ExampleConfig, ExampleService } from "../../../examples/fastify-api/src/app.js";
import { createFastifyExample } from "../../../examples/fastify-api/src/app.js";
import {
  createAdmin,
  createApiKey,
  createManualClock,
  createSignedInUser,
  mint,
  type SignedIn,
  send,
  startPortcullis,
  type TestApp,
} from "./support/portcullis.js";

const EXAMPLES: Array<[string, (config: ExampleConfig) => ExampleService]> = [
  ["Express", createExpressExample],
  ["Fastify", createFastifyExample],
];

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

describe.each(EXAMPLES)("the %s example against a running Portcullis", (_name, createExample) => {
  const clock = createManualClock(Date.now());
  let portcullis: TestApp;
  let admin: SignedIn;
  let example: ExampleService;
  let exampleUrl: string;

  async function call(path: string, headers: Record<string, string> = {}): Promise<Answer> {
    const response = await fetch(`${exampleUrl}${path}`, { headers });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text === "" ? {} : JSON.parse(text) };
  }
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  function expectProblem(answer: Answer, status: number, code: string) {
    expect(answer.status, JSON.stringify(answer.body)).toBe(status);
    expect(answer.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(answer.body).toMatchObject({ status, code, type: `urn:portcullis:problem:${code}` });
    return answer;
  }

  beforeAll(async () => {
    const started = await startPortcullis(clock, {
      PORTCULLIS_ROLES: "analyst",
      PORTCULLIS_ROLE_SCOPES: "user=events:read;admin=admin:read admin:write;analyst=reports:read",
    });
    portcullis = started.portcullis;
    admin = started.admin;
    example = createExample({
      issuer: portcullis.config.publicUrl,
      audience: portcullis.config.audience,
      portcullisUrl: started.url,
      introspectionKey: started.introspectionKey,
      clock,
    });
    exampleUrl = await example.listen();
    await example.ready();
  });
  afterAll(async () => {
    await example?.close();
    await portcullis?.close();
  });

  it("serves the public route to anyone and the protected one to a signed-in user", async () => {
    expect((await call("/public/status")).body).toEqual({ status: "ok" });
    const user = await createSignedInUser(portcullis);
    const me = await call("/me", bearer(user.accessToken));
    expect(me.status, JSON.stringify(me.body)).toBe(200);
    expect(me.body).toEqual({
      userId: user.user.id,
      via: "token",
      sessionId: decodeJwt(user.accessToken).sid,
      roles: ["user"],
      scopes: ["events:read"],
    });
    // The scheme is case-insensitive (RFC 7235 §2.1); RFC 6750 §2.1 allows several spaces.
    for (const authorization of [`bearer ${user.accessToken}`, `Bearer   ${user.accessToken}`])
      expect((await call("/me", { authorization })).status, authorization.slice(0, 9)).toBe(200);
  });

  it("refuses missing and garbled Authorization headers with RFC 6750 challenges", async () => {
    const user = await createSignedInUser(portcullis);
    const none = expectProblem(await call("/me"), 401, "unauthenticated");
    expect(none.headers.get("www-authenticate")).toBe("Bearer");
    for (const authorization of [
      "Bearer",
      "Bearer ",
      "Basic dXNlcjpwYXNzd29yZA==",
      "Bearer not-a-jwt",
      `Bearer ${user.accessToken} trailing`,
      `Bearer ${user.accessToken}.extra`,
      `Bearer ${user.accessToken.slice(0, -3)}`,
      `Bearer ${"a".repeat(10_000)}`,
      `Token ${user.accessToken}`,
    ]) {
      const refused = expectProblem(await call("/me", { authorization }), 401, "invalid_token");
      expect(refused.headers.get("www-authenticate"), authorization).toBe('Bearer error="invalid_token"');
      expect(refused.headers.get("cache-control")).toBe("no-store");
    }
    // An X-API-Key does not rescue a bad Authorization header: the bearer token decides.
    const key = (await createApiKey(portcullis, user, { name: "k", scopes: ["reports:read"] })).key;
    expectProblem(
      await call("/reports", { authorization: "Bearer nope", "x-api-key": key }),
      401,
      "invalid_token",
    );
  });

  it("refuses a token for another audience or from another issuer, signed with Portcullis's own key", async () => {
    const user = await createSignedInUser(portcullis);
    // The control: minted the same way with the right claims, it passes.
    expect((await call("/me", bearer(await mint(portcullis, user.accessToken, {})))).status).toBe(200);
    const otherAudience = await mint(portcullis, user.accessToken, { aud: "https://billing.example" });
    expectProblem(await call("/me", bearer(otherAudience)), 401, "invalid_token");
    const otherIssuer = await mint(portcullis, user.accessToken, { iss: "https://evil.example" });
    expectProblem(await call("/me", bearer(otherIssuer)), 401, "invalid_token");
  });

  it("refuses a token once it has expired, though it verified before", async () => {
    const user = await createSignedInUser(portcullis);
    expect((await call("/me", bearer(user.accessToken))).status).toBe(200);
    clock.advance(portcullis.config.accessTokenTtlSeconds * 1000);
    expectProblem(await call("/me", bearer(user.accessToken)), 401, "invalid_token");
    const fresh = await createSignedInUser(portcullis);
    expect((await call("/me", bearer(fresh.accessToken))).status).toBe(200);
  });

  it("picks up a signing key rotated after it started, on the first token naming it", async () => {
    const before = await createSignedInUser(portcullis);
    expect((await call("/me", bearer(before.accessToken))).status).toBe(200);
    const kid = await portcullis.services.signingKeys.rotate();
    const after = await createSignedInUser(portcullis);
    expect(decodeJwt(after.accessToken)).toBeDefined();
    expect(JSON.parse(Buffer.from(after.accessToken.split(".")[0] ?? "", "base64url").toString()).kid).toBe(
      kid,
    );
    // Past the JWKS cooldown (5 s) since the service's last fetch.
    clock.advance(5_000);
    const me = await call("/me", bearer(after.accessToken));
    expect(me.status, JSON.stringify(me.body)).toBe(200);
    // Tokens of the retired key keep working until they expire.
    expect((await call("/me", bearer(before.accessToken))).status).toBe(200);
    // A kid nobody published is refused (and, within the cooldown, costs Portcullis nothing).
    const forged = await new SignJWT(decodeJwt(after.accessToken))
      .setProtectedHeader({ alg: "ES256", kid: "no-such-key", typ: "at+jwt" })
      .sign(portcullis.services.keyRing.signingKey().key);
    expectProblem(await call("/me", bearer(forged)), 401, "invalid_token");
  });

  it("keeps accepting a revoked session's token until it expires, without the revocation bus", async () => {
    const user = await createSignedInUser(portcullis);
    expect((await call("/me", bearer(user.accessToken))).status).toBe(200);
    expect((await send(portcullis, "POST", "/v1/auth/logout", user.headers)).statusCode).toBe(204);
    // Portcullis refuses it at once; the service, which verifies locally and does not listen, cannot know.
    expect((await send(portcullis, "GET", "/v1/me", user.headers)).statusCode).toBe(401);
    expect((await call("/me", bearer(user.accessToken))).status).toBe(200);
    clock.advance(portcullis.config.accessTokenTtlSeconds * 1000);
    expectProblem(await call("/me", bearer(user.accessToken)), 401, "invalid_token");
  });

  it("guards a route by role, which a token without a scope claim passes", async () => {
    const user = await createSignedInUser(portcullis);
    const refused = expectProblem(
      await call("/admin/stats", bearer(user.accessToken)),
      403,
      "insufficient_role",
    );
    expect(refused.body.detail).toMatch(/"admin"/);
    const signedInAdmin = await createAdmin(portcullis);
    expect((await call("/admin/stats", bearer(signedInAdmin.accessToken))).body).toEqual({ orders: 42 });
    expect(admin.user.roles).toContain("admin");
    const unscoped = await mint(portcullis, signedInAdmin.accessToken, { scope: undefined });
    expect(decodeJwt(unscoped).scope).toBeUndefined();
    expect((await call("/admin/stats", bearer(unscoped))).body).toEqual({ orders: 42 });
  });

  it("guards a route by scope, failing closed: a token or key passes only with the scope", async () => {
    // A plain user's session (the role a registrant gets) carries events:read, not reports:read.
    const user = await createSignedInUser(portcullis);
    expect(decodeJwt(user.accessToken).scope).toBe("events:read");
    const session = expectProblem(
      await call("/reports", bearer(user.accessToken)),
      403,
      "insufficient_scope",
    );
    expect(session.headers.get("www-authenticate")).toBe(
      'Bearer error="insufficient_scope", scope="reports:read"',
    );
    // No scope claim at all: no scopes.
    const noScopeClaim = await mint(portcullis, user.accessToken, { scope: undefined });
    expectProblem(await call("/reports", bearer(noScopeClaim)), 403, "insufficient_scope");
    // A role that PORTCULLIS_ROLE_SCOPES grants reports:read to.
    const analyst = await createSignedInUser(portcullis, ["user", "analyst"]);
    const granted = await call("/reports", bearer(analyst.accessToken));
    expect(granted.status, JSON.stringify(granted.body)).toBe(200);
    expect(granted.body.caller).toMatchObject({
      roles: ["user", "analyst"],
      scopes: ["events:read", "reports:read"],
    });

    const wrongScope = await mint(portcullis, user.accessToken, { scope: "orders:read" });
    const refused = expectProblem(await call("/reports", bearer(wrongScope)), 403, "insufficient_scope");
    expect(refused.headers.get("www-authenticate")).toBe(
      'Bearer error="insufficient_scope", scope="reports:read"',
    );
    const rightScope = await mint(portcullis, user.accessToken, { scope: "orders:read reports:read" });
    const allowed = await call("/reports", bearer(rightScope));
    expect(allowed.status).toBe(200);
    expect(allowed.body.caller).toMatchObject({ scopes: ["orders:read", "reports:read"] });

    const scoped = (await createApiKey(portcullis, user, { name: "reports", scopes: ["reports:read"] })).key;
    const unscoped = (await createApiKey(portcullis, user, { name: "other", scopes: ["orders:read"] })).key;
    expect((await call("/reports", { "x-api-key": scoped })).status).toBe(200);
    const keyRefused = expectProblem(
      await call("/reports", { "x-api-key": unscoped }),
      403,
      "insufficient_scope",
    );
    expect(keyRefused.headers.get("www-authenticate")).toMatch(/^ApiKey error="insufficient_scope"/);
  });

  it("answers 503 (not 401) while it could never fetch Portcullis's keys", async () => {
    const user = await createSignedInUser(portcullis);
    const cut = createExample({
      issuer: portcullis.config.publicUrl,
      audience: portcullis.config.audience,
      portcullisUrl: "http://127.0.0.1:1",
      clock,
    });
    try {
      const url = await cut.listen();
      const response = await fetch(`${url}/me`, { headers: bearer(user.accessToken) });
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ code: "service_unavailable" });
    } finally {
      await cut.close();
    }
  });

  it("accepts API keys that Portcullis validates, and forgets a revoked one after the cache time", async () => {
    const user = await createSignedInUser(portcullis);
    const created = await createApiKey(portcullis, user, { name: "integration", scopes: ["orders:read"] });
    const ok = await call("/integrations/orders", { "x-api-key": created.key });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.caller).toEqual({
      userId: user.user.id,
      via: "apiKey",
      sessionId: null,
      roles: ["user"],
      scopes: ["orders:read"],
    });
    expectProblem(await call("/integrations/orders"), 401, "unauthenticated");
    expectProblem(
      await call("/integrations/orders", { "x-api-key": `pc_${"a".repeat(12)}_${"b".repeat(43)}` }),
      401,
      "invalid_api_key",
    );
    expectProblem(await call("/integrations/orders", { "x-api-key": "not a key" }), 401, "invalid_api_key");
    // A bearer token is not an API key on this route.
    expectProblem(await call("/integrations/orders", bearer(user.accessToken)), 401, "unauthenticated");

    const revoked = await send(portcullis, "DELETE", `/v1/api-keys/${created.apiKey.id}`, user.headers);
    expect(revoked.statusCode).toBe(204);
    // Cached for 10 s (the documented bound), then refused.
    expect((await call("/integrations/orders", { "x-api-key": created.key })).status).toBe(200);
    clock.advance(10_000);
    expectProblem(await call("/integrations/orders", { "x-api-key": created.key }), 401, "invalid_api_key");
  });
});
