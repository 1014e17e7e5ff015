/**
 * Invariant: only services may ask Portcullis about credentials — an API key with the
 * `introspect` scope whose owner is an administrator, checked on every call — and only an
 * administrator may put that scope on a key. `POST /v1/auth/introspect` (RFC 7662) answers
 * `{active: false}` for anything that is not a live credential (expired, revoked, garbled,
 * unknown), verifying access tokens exactly as Portcullis does for itself, and describes a live
 * one without any secret; `GET /v1/auth/revocations` hands out the revocations that can still
 * affect an unexpired token. Answers are `no-store`; each key has its own request budget.
 */
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  apiKeyHeader,
  createAdmin,
  createApiKey,
  createSignedInUser,
  type SignedIn,
  send,
} from "../support/accounts.js";
import { expectProblem } from "../support/problem-assertions.js";
import { createManualClock, createTestApp, type TestApp } from "../support/test-app.js";

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

function introspect(
  t: TestApp,
  key: string,
  body: string,
  contentType = "application/x-www-form-urlencoded",
) {
  return t.app.inject({
    method: "POST",
    url: "/v1/auth/introspect",
    headers: { ...apiKeyHeader(key), "content-type": contentType },
    payload: body,
  });
}

interface Introspection {
  active: boolean;
  [member: string]: unknown;
}

function answer(response: LightMyRequestResponse): Introspection {
  expect(response.statusCode, response.body).toBe(200);
  expect(response.headers["cache-control"]).toMatch(/no-store/);
  return response.json<Introspection>();
}

describe("token introspection and revocations for resource servers", () => {
  let t: TestApp;
  let admin: SignedIn;
  let user: SignedIn;
  let serviceKey: string;
  const clock = createManualClock(Date.now());

  beforeAll(async () => {
    t = await createTestApp({ clock, env: { PORTCULLIS_INTROSPECTION_RATE_LIMIT: "off" } });
    admin = await createAdmin(t);
    user = await createSignedInUser(t);
    serviceKey = (await createApiKey(t, admin, { name: "orders service", scopes: ["introspect"] })).key;
  });
  afterAll(() => t.close());

  it("lets only an administrator put the introspect scope on a key", async () => {
    const refused = await send(t, "POST", "/v1/api-keys", user.headers, {
      name: "curious",
      scopes: ["introspect", "reports:read"],
    });
    expectProblem(refused, 403, "insufficient_role");
    const free = await send(t, "POST", "/v1/api-keys", user.headers, {
      name: "ok",
      scopes: ["reports:read"],
    });
    expect(free.statusCode, free.body).toBe(201);
  });

  it("describes a live access token, form-encoded (RFC 7662 §2.1) or JSON", async () => {
    const body = answer(await introspect(t, serviceKey, form({ token: user.accessToken })));
    expect(body).toMatchObject({
      active: true,
      token_type: "Bearer",
      iss: t.config.publicUrl,
      aud: t.config.audience,
      sub: user.user.id,
      // The scopes the user's roles grant (the default PORTCULLIS_ROLE_SCOPES), as the token carries them.
      scope: "events:read",
      roles: ["user"],
      amr: ["pwd"],
    });
    for (const claim of ["sid", "jti"]) expect(typeof body[claim]).toBe("string");
    for (const claim of ["iat", "exp", "auth_time"]) expect(Number.isInteger(body[claim])).toBe(true);

    const json = answer(
      await introspect(t, serviceKey, JSON.stringify({ token: user.accessToken }), "application/json"),
    );
    expect(json).toEqual(body);
  });

  it("describes a live API key by its owner and scopes, never the key", async () => {
    const created = await createApiKey(t, user, { name: "reports bot", scopes: ["reports:read"] });
    const body = answer(
      await introspect(t, serviceKey, form({ token: created.key, token_type_hint: "api_key" })),
    );
    expect(body).toEqual({
      active: true,
      token_type: "api_key",
      iss: t.config.publicUrl,
      sub: user.user.id,
      key_id: created.apiKey.id,
      scope: "reports:read",
      roles: ["user"],
      iat: Math.floor(Date.parse(created.apiKey.createdAt) / 1000),
    });
  });

  it("answers {active: false} for garbled, unknown, revoked and expired credentials", async () => {
    const victim = await createSignedInUser(t);
    const key = await createApiKey(t, victim, { name: "soon revoked" });
    const inactive = async (token: string) =>
      expect(answer(await introspect(t, serviceKey, form({ token })))).toEqual({ active: false });

    await inactive("garbage");
    await inactive(`${victim.accessToken.slice(0, -4)}AAAA`);
    await inactive(`pc_${"A".repeat(12)}_${"B".repeat(43)}`);

    expect((await send(t, "DELETE", `/v1/api-keys/${key.apiKey.id}`, victim.headers)).statusCode).toBe(204);
    await inactive(key.key);
    expect((await send(t, "POST", "/v1/auth/logout", victim.headers)).statusCode).toBe(204);
    await inactive(victim.accessToken);

    const later = await createSignedInUser(t);
    clock.advance((t.config.accessTokenTtlSeconds + 1) * 1000);
    try {
      await inactive(later.accessToken);
    } finally {
      clock.set(Date.now());
    }
  });

  it("refuses callers that are not an administrator's key with the introspect scope", async () => {
    const token = form({ token: user.accessToken });
    const anonymous = await t.app.inject({
      method: "POST",
      url: "/v1/auth/introspect",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: token,
    });
    expectProblem(anonymous, 401, "unauthenticated");
    expectProblem(
      await introspect(t, `pc_${"x".repeat(12)}_${"y".repeat(43)}`, token),
      401,
      "invalid_api_key",
    );

    // An administrator's session is not a service credential.
    const session = await t.app.inject({
      method: "POST",
      url: "/v1/auth/introspect",
      headers: { ...admin.headers, "content-type": "application/x-www-form-urlencoded" },
      payload: token,
    });
    expectProblem(session, 403, "insufficient_scope");
    expect(session.headers["www-authenticate"]).toMatch(/scope="introspect"/);

    const unscoped = await createApiKey(t, admin, { name: "no scope" });
    expectProblem(await introspect(t, unscoped.key, token), 403, "insufficient_scope");

    // The owner's role is checked on every call: demoting them stops their introspect keys.
    const other = await createAdmin(t);
    const otherKey = await createApiKey(t, other, { name: "soon useless", scopes: ["introspect"] });
    expect(answer(await introspect(t, otherKey.key, token)).active).toBe(true);
    const demoted = await send(t, "PATCH", `/v1/admin/users/${other.user.id}`, admin.headers, {
      roles: ["user"],
    });
    expect(demoted.statusCode, demoted.body).toBe(200);
    expectProblem(await introspect(t, otherKey.key, token), 403, "insufficient_role");
  });

  it("refuses malformed requests: a repeated or unknown parameter, no token, another media type", async () => {
    const url = `token=${encodeURIComponent(user.accessToken)}`;
    expectProblem(await introspect(t, serviceKey, `${url}&${url}`), 400, "validation_failed");
    expectProblem(await introspect(t, serviceKey, `${url}&extra=1`), 400, "validation_failed");
    expectProblem(await introspect(t, serviceKey, `${url}&__proto__=x`), 400, "validation_failed");
    expectProblem(await introspect(t, serviceKey, "token_type_hint=x"), 400, "validation_failed");
    expectProblem(await introspect(t, serviceKey, url, "text/plain"), 415, "unsupported_media_type");
  });

  it("hands out the revocations still relevant, since a moment", async () => {
    const revocations = async (query = "") => {
      const response = await send(t, "GET", `/v1/auth/revocations${query}`, apiKeyHeader(serviceKey));
      expect(response.statusCode, response.body).toBe(200);
      expect(response.headers["cache-control"]).toMatch(/no-store/);
      return response.json<{ revocations: Record<string, unknown>[]; now: number }>();
    };
    const leaving = await createSignedInUser(t);
    const sid = (await introspect(t, serviceKey, form({ token: leaving.accessToken }))).json<{
      sid: string;
    }>().sid;
    const before = await revocations();
    expect(before.now).toBe(clock.now());

    expect((await send(t, "POST", "/v1/auth/logout", leaving.headers)).statusCode).toBe(204);
    const disabled = await createSignedInUser(t);
    const patched = await send(t, "PATCH", `/v1/admin/users/${disabled.user.id}`, admin.headers, {
      disabled: true,
    });
    expect(patched.statusCode, patched.body).toBe(200);

    const all = await revocations();
    expect(all.revocations).toContainEqual({ kind: "session", sessionId: sid, at: expect.any(Number) });
    expect(all.revocations).toContainEqual({
      kind: "user",
      userId: disabled.user.id,
      at: expect.any(Number),
    });
    const times = all.revocations.map((event) => event.at as number);
    expect(times).toEqual([...times].sort((a, b) => a - b));

    clock.advance(1000);
    const none = await revocations(`?since=${clock.now()}`);
    expect(none.revocations).toEqual([]);
    // Older than the access-token lifetime (plus leeway): no unexpired token can be affected.
    clock.advance((t.config.accessTokenTtlSeconds + 61) * 1000);
    try {
      expect((await revocations("?since=0")).revocations).toEqual([]);
    } finally {
      clock.set(Date.now());
    }
    expectProblem(
      await send(t, "GET", "/v1/auth/revocations?since=yesterday", apiKeyHeader(serviceKey)),
      400,
      "validation_failed",
    );
    expectProblem(await send(t, "GET", "/v1/auth/revocations", user.headers), 403, "insufficient_scope");
  });
});

describe("introspection rate limit", () => {
  it("gives each key its own budget, then 429 with Retry-After", async () => {
    const t = await createTestApp({ env: { PORTCULLIS_INTROSPECTION_RATE_LIMIT: "2/1m" } });
    try {
      const admin = await createAdmin(t);
      const first = (await createApiKey(t, admin, { name: "one", scopes: ["introspect"] })).key;
      const second = (await createApiKey(t, admin, { name: "two", scopes: ["introspect"] })).key;
      const body = form({ token: admin.accessToken });
      expect((await introspect(t, first, body)).statusCode).toBe(200);
      expect((await introspect(t, first, body)).statusCode).toBe(200);
      const limited = await introspect(t, first, body);
      expectProblem(limited, 429, "rate_limited");
      expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
      expect((await introspect(t, second, body)).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });
});
