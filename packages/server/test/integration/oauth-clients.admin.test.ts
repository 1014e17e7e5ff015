/**
 * Invariant: the OpenID provider's clients are administered through `/v1/admin/clients` exactly
 * as the contract says (API.md "Client administration"), by administrators only. A confidential
 * client's secret is shown once — in the creation's or a rotation's answer — and never again;
 * only its SHA-256 is stored, no response ever carries it, and a rotation ends the old secret at
 * once. Every registration rule is enforced with `400 validation_failed` naming the field (redirect
 * URIs exact, absolute, without fragment or wildcard, `https:` or loopback `http:` outside
 * production, private-use schemes for public clients; the grant-type rules; the offered scopes);
 * the type never changes. Each change is audited in its own transaction; deleting a client
 * revokes what it was granted.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashClientSecret, verifyClientSecret } from "../../src/domain/oauth-clients/client-secret.js";
import {
  apiKeyHeader,
  createAdmin,
  createApiKey,
  createSignedInUser,
  type SignedIn,
  send,
} from "../support/accounts.js";
import { expectProblem } from "../support/problem-assertions.js";
import { withFailingWrites } from "../support/sql-faults.js";
import { createTestApp, type TestApp } from "../support/test-app.js";

const CLIENT_FIELDS = [
  "backchannelLogoutUri",
  "createdAt",
  "firstParty",
  "grantTypes",
  "id",
  "name",
  "postLogoutRedirectUris",
  "redirectUris",
  "scopes",
  "type",
  "updatedAt",
];

interface ClientJson {
  id: string;
  name: string;
  type: "confidential" | "public";
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: string[];
  scopes: string[];
  firstParty: boolean;
  backchannelLogoutUri: string | null;
  createdAt: string;
  updatedAt: string;
}

const WEB_APP = {
  name: "Orders",
  type: "confidential",
  redirectUris: ["https://orders.example.com/callback"],
  postLogoutRedirectUris: ["https://orders.example.com/"],
  grantTypes: ["authorization_code", "refresh_token"],
  scopes: ["openid", "email", "orders:read"],
};

describe("admin API › OAuth clients", () => {
  let t: TestApp;
  let admin: SignedIn;

  beforeAll(async () => {
    t = await createTestApp({ env: { PORTCULLIS_SCOPES: "orders:read orders:write" } });
    admin = await createAdmin(t);
  });
  afterAll(() => t.close());

  const api = (method: "GET" | "POST" | "PATCH" | "DELETE", url: string, body?: unknown) =>
    send(t, method, url, admin.headers, body ?? (method === "POST" ? {} : undefined));

  async function register(body: Record<string, unknown> = WEB_APP) {
    const response = await api("POST", "/v1/admin/clients", body);
    expect(response.statusCode, response.body).toBe(201);
    return response.json<{ client: ClientJson; clientSecret?: string }>();
  }

  /** The stored hash, through the port the OpenID provider reads clients with. */
  async function storedHash(id: string): Promise<string | null | undefined> {
    return (await t.services.clients.findClientById(id))?.secretHash;
  }

  async function eventsOf(clientId: string) {
    const rows = await sql<{
      type: string;
      actor_id: string | null;
      user_id: string | null;
      details: string;
    }>`
      select type, actor_id, user_id, details from audit_events where type like 'client.%' order by seq`.execute(
      t.database.db,
    );
    return rows.rows
      .map((row) => ({ ...row, details: JSON.parse(row.details) as Record<string, unknown> }))
      .filter((row) => row.details.clientId === clientId);
  }

  describe("POST /v1/admin/clients", () => {
    it("registers a confidential client and shows its secret this once (256 bits, base64url)", async () => {
      const response = await api("POST", "/v1/admin/clients", { ...WEB_APP, firstParty: true });
      expect(response.statusCode, response.body).toBe(201);
      expect(response.headers["cache-control"]).toBe("no-store");
      const { client, clientSecret } = response.json<{ client: ClientJson; clientSecret: string }>();
      expect(Object.keys(response.json()).sort()).toEqual(["client", "clientSecret"]);
      expect(Object.keys(client).sort()).toEqual(CLIENT_FIELDS);
      expect(client).toMatchObject({
        name: "Orders",
        type: "confidential",
        redirectUris: WEB_APP.redirectUris,
        postLogoutRedirectUris: WEB_APP.postLogoutRedirectUris,
        grantTypes: WEB_APP.grantTypes,
        scopes: WEB_APP.scopes,
        firstParty: true,
        backchannelLogoutUri: null,
      });
      expect(client.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(new Date(client.createdAt).toISOString()).toBe(client.createdAt);
      expect(clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);

      const hash = await storedHash(client.id);
      expect(hash).toBe(hashClientSecret(clientSecret));
      expect(verifyClientSecret(clientSecret, hash ?? "")).toBe(true);
      expect(response.body).not.toContain(hash);

      // Never again: not in the list, not in the client, not in the audit log.
      for (const url of [
        "/v1/admin/clients",
        `/v1/admin/clients/${client.id}`,
        "/v1/admin/events?limit=50",
      ]) {
        const later = await api("GET", url);
        expect(later.statusCode, later.body).toBe(200);
        expect(later.body).not.toContain(clientSecret);
        expect(later.body).not.toContain(hash);
        expect(later.body).not.toMatch(/clientSecret|secretHash/);
      }
    });

    it("registers a public client without a secret, and stores none", async () => {
      const response = await api("POST", "/v1/admin/clients", {
        name: "Orders SPA",
        type: "public",
        redirectUris: ["https://spa.example.com/cb", "http://localhost:5173/cb", "com.example.orders:/cb"],
        grantTypes: ["authorization_code", "refresh_token"],
        scopes: ["openid", "offline_access"],
      });
      expect(response.statusCode, response.body).toBe(201);
      const body = response.json<{ client: ClientJson }>();
      expect(Object.keys(body)).toEqual(["client"]);
      expect(body.client).toMatchObject({ type: "public", firstParty: false, postLogoutRedirectUris: [] });
      expect(await storedHash(body.client.id)).toBeNull();
    });

    it("registers a service with client_credentials and no redirect URI", async () => {
      const { client, clientSecret } = await register({
        name: "Billing job",
        type: "confidential",
        grantTypes: ["client_credentials"],
        scopes: ["orders:write"],
      });
      expect(client).toMatchObject({ redirectUris: [], grantTypes: ["client_credentials"] });
      expect(clientSecret).toBeDefined();
    });

    it("stores redirect URIs exactly as given", async () => {
      const uris = [
        "https://Orders.Example.com:443/cb/?a=1&b=%2F",
        "http://127.0.0.1:8080/cb",
        "http://[::1]/cb",
      ];
      const { client } = await register({ ...WEB_APP, redirectUris: uris });
      expect(client.redirectUris).toEqual(uris);
      expect((await t.services.clients.findClientById(client.id))?.redirectUris).toEqual(uris);
    });

    it("records client.created with the administrator as the actor and never the secret", async () => {
      const { client, clientSecret } = await register();
      const events = await eventsOf(client.id);
      expect(events).toEqual([
        {
          type: "client.created",
          actor_id: admin.user.id,
          user_id: null,
          details: { clientId: client.id, name: "Orders", type: "confidential" },
        },
      ]);
      expect(JSON.stringify(events)).not.toContain(clientSecret);
    });

    it("writes nothing when its audit event cannot be written (one transaction)", async () => {
      const before = (await t.services.clients.listClients()).length;
      await withFailingWrites(
        t.database,
        { name: "no_client_audit", table: "audit_events", event: "insert", message: "disk full" },
        async () => {
          const response = await api("POST", "/v1/admin/clients", { ...WEB_APP, name: "Doomed" });
          expect(response.statusCode).toBeGreaterThanOrEqual(500);
          expect(response.body).not.toContain("disk full");
        },
      );
      const after = await t.services.clients.listClients();
      expect(after.length).toBe(before);
      expect(after.map((client) => client.name)).not.toContain("Doomed");
    });
  });

  describe("validation", () => {
    /** POSTs `changes` over the web app; asserts 400 validation_failed naming `pointer`. */
    async function refused(
      changes: Record<string, unknown>,
      pointer: string,
      code?: string,
      base: Record<string, unknown> = WEB_APP,
    ) {
      const response = await api("POST", "/v1/admin/clients", { ...base, ...changes });
      const problem = expectProblem(response, 400, "validation_failed");
      const pointers = (problem.errors ?? []).map((error) => error.pointer);
      expect(pointers, response.body).toContain(pointer);
      if (code !== undefined)
        expect(problem.errors?.find((error) => error.pointer === pointer)?.code).toBe(code);
      return problem;
    }

    it("needs a name of 1 to 100 characters", async () => {
      await refused({ name: "" }, "/name");
      await refused({ name: "   " }, "/name", "name_required");
      await refused({ name: "x".repeat(101) }, "/name");
      expect((await register({ ...WEB_APP, name: "x".repeat(100) })).client.name).toBe("x".repeat(100));
      expect((await register({ ...WEB_APP, name: "  Trimmed  " })).client.name).toBe("Trimmed");
    });

    it("needs the type confidential or public", async () => {
      await refused({ type: "hybrid" }, "/type");
      const { type: _type, ...untyped } = WEB_APP;
      await refused({}, "/type", undefined, untyped);
    });

    it("needs grant types, each one the server offers", async () => {
      await refused({ grantTypes: [] }, "/grantTypes", "grant_types_required");
      await refused(
        { grantTypes: ["authorization_code", "implicit"] },
        "/grantTypes/1",
        "unknown_grant_type",
      );
      await refused({ grantTypes: ["password"] }, "/grantTypes/0", "unknown_grant_type");
    });

    it("refuses client_credentials for a public client and refresh_token without authorization_code", async () => {
      await refused(
        { type: "public", grantTypes: ["authorization_code", "client_credentials"] },
        "/grantTypes",
        "public_client_credentials",
      );
      await refused(
        { grantTypes: ["client_credentials", "refresh_token"] },
        "/grantTypes",
        "refresh_token_without_code",
      );
    });

    it("needs a redirect URI with authorization_code", async () => {
      const { redirectUris: _uris, ...without } = WEB_APP;
      await refused({}, "/redirectUris", "redirect_uri_required", without);
      await refused({ redirectUris: [] }, "/redirectUris", "redirect_uri_required");
    });

    it.each([
      ["https://orders.example.com/cb#section", "uri_fragment"],
      ["https://*.example.com/cb", "uri_wildcard"],
      ["https://orders.example.com/*", "uri_wildcard"],
      ["/callback", "uri_not_absolute"],
      ["not a url", "uri_whitespace"],
      ["http://orders.example.com/cb", "uri_http_not_loopback"],
      ["https://user:pw@orders.example.com/cb", "uri_credentials"],
      ["javascript:alert(1)", "uri_scheme"],
      ["com.example.orders:/cb", "uri_private_use_confidential"],
    ])("refuses the redirect URI %s (%s)", async (uri, code) => {
      await refused({ redirectUris: ["https://orders.example.com/ok", uri] }, "/redirectUris/1", code);
      await refused({ postLogoutRedirectUris: [uri] }, "/postLogoutRedirectUris/0", code);
    });

    it("refuses repeated redirect URIs", async () => {
      await refused(
        { redirectUris: ["https://a.example.com/cb", "https://a.example.com/cb"] },
        "/redirectUris",
      );
    });

    it("refuses a back-channel logout URI that is not https", async () => {
      await refused({ backchannelLogoutUri: "http://orders.example.com/logout" }, "/backchannelLogoutUri");
      const { client } = await register({
        ...WEB_APP,
        backchannelLogoutUri: "https://orders.example.com/bcl",
      });
      expect(client.backchannelLogoutUri).toBe("https://orders.example.com/bcl");
    });

    it("refuses a scope the server does not offer, naming it", async () => {
      const problem = await refused({ scopes: ["openid", "admin:write"] }, "/scopes/1", "unknown_scope");
      expect(problem.errors?.[0]?.detail).toContain('"admin:write"');
      await refused({ scopes: ["billing:read"] }, "/scopes/0");
    });

    it("refuses properties it does not know, so nobody sets a secret, a hash, an id or a date", async () => {
      for (const extra of [
        { clientSecret: "chosen-by-the-caller" },
        { secretHash: "0".repeat(64) },
        { id: "my-own-id" },
        { createdAt: "2020-01-01T00:00:00.000Z" },
        { roles: ["admin"] },
      ]) {
        expectProblem(
          await api("POST", "/v1/admin/clients", { ...WEB_APP, ...extra }),
          400,
          "validation_failed",
        );
      }
    });

    it("names every problem at once", async () => {
      const problem = await refused(
        {
          name: " ",
          grantTypes: ["refresh_token"],
          redirectUris: ["http://example.com/cb"],
          scopes: ["nope"],
        },
        "/name",
      );
      expect((problem.errors ?? []).map((error) => error.pointer).sort()).toEqual([
        "/grantTypes",
        "/name",
        "/redirectUris/0",
        "/scopes/0",
      ]);
    });

    it("answers 415 for a body that is not JSON", async () => {
      const response = await t.app.inject({
        method: "POST",
        url: "/v1/admin/clients",
        headers: { ...admin.headers, "content-type": "text/plain" },
        payload: "name=x",
      });
      expectProblem(response, 415, "unsupported_media_type");
    });
  });

  describe("GET /v1/admin/clients and /v1/admin/clients/:id", () => {
    it("lists every client oldest first, and reads one; an unknown id is 404 not_found", async () => {
      const first = await register({ ...WEB_APP, name: "First" });
      const second = await register({ ...WEB_APP, name: "Second" });
      const list = await api("GET", "/v1/admin/clients");
      expect(list.statusCode).toBe(200);
      const { clients } = list.json<{ clients: ClientJson[] }>();
      const ids = clients.map((client) => client.id);
      expect(ids.indexOf(first.client.id)).toBeLessThan(ids.indexOf(second.client.id));
      for (const client of clients) expect(Object.keys(client).sort()).toEqual(CLIENT_FIELDS);

      const one = await api("GET", `/v1/admin/clients/${second.client.id}`);
      expect(one.json<{ client: ClientJson }>().client).toEqual(second.client);
      expectProblem(await api("GET", "/v1/admin/clients/no-such-client"), 404, "not_found");
    });
  });

  describe("PATCH /v1/admin/clients/:id", () => {
    it("changes any setting but the type, and records which", async () => {
      const { client } = await register();
      const response = await api("PATCH", `/v1/admin/clients/${client.id}`, {
        name: "Orders (new)",
        redirectUris: ["https://orders.example.com/v2/callback"],
        scopes: ["openid"],
        firstParty: true,
      });
      expect(response.statusCode, response.body).toBe(200);
      const changed = response.json<{ client: ClientJson }>().client;
      expect(changed).toMatchObject({
        id: client.id,
        name: "Orders (new)",
        type: "confidential",
        redirectUris: ["https://orders.example.com/v2/callback"],
        postLogoutRedirectUris: WEB_APP.postLogoutRedirectUris,
        scopes: ["openid"],
        firstParty: true,
        createdAt: client.createdAt,
      });
      expect(Object.keys(changed).sort()).toEqual(CLIENT_FIELDS);
      expect(
        (await api("GET", `/v1/admin/clients/${client.id}`)).json<{ client: ClientJson }>().client,
      ).toEqual(changed);
      const events = await eventsOf(client.id);
      expect(events.map((event) => [event.type, event.actor_id, event.details.changed])).toEqual([
        ["client.created", admin.user.id, undefined],
        ["client.updated", admin.user.id, "name redirectUris scopes firstParty"],
      ]);
      expect(events[1]?.details.name).toBe("Orders (new)");
    });

    it("refuses to change the type, whatever the value, with 400 validation_failed naming /type", async () => {
      const { client } = await register();
      for (const type of ["public", "confidential"]) {
        const problem = expectProblem(
          await api("PATCH", `/v1/admin/clients/${client.id}`, { type }),
          400,
          "validation_failed",
        );
        expect(problem.errors?.map((error) => error.pointer)).toEqual(["/type"]);
      }
      expect((await t.services.clients.findClientById(client.id))?.type).toBe("confidential");
    });

    it("checks the client as it would be after the change", async () => {
      const { client } = await register();
      const problem = expectProblem(
        await api("PATCH", `/v1/admin/clients/${client.id}`, { grantTypes: ["refresh_token"] }),
        400,
        "validation_failed",
      );
      expect(problem.errors?.map((error) => error.code)).toEqual(["refresh_token_without_code"]);
      expectProblem(
        await api("PATCH", `/v1/admin/clients/${client.id}`, { redirectUris: ["https://x.example.com/#f"] }),
        400,
        "validation_failed",
      );
      expectProblem(
        await api("PATCH", `/v1/admin/clients/${client.id}`, { secretHash: "0".repeat(64) }),
        400,
        "validation_failed",
      );
      expect((await t.services.clients.findClientById(client.id))?.redirectUris).toEqual(
        WEB_APP.redirectUris,
      );
    });

    it("clears the back-channel logout URI with null, and answers 404 not_found for an unknown id", async () => {
      const { client } = await register({
        ...WEB_APP,
        backchannelLogoutUri: "https://orders.example.com/bcl",
      });
      const cleared = await api("PATCH", `/v1/admin/clients/${client.id}`, { backchannelLogoutUri: null });
      expect(cleared.json<{ client: ClientJson }>().client.backchannelLogoutUri).toBeNull();
      expectProblem(await api("PATCH", "/v1/admin/clients/no-such-client", { name: "x" }), 404, "not_found");
    });

    it("records nothing when nothing changes", async () => {
      const { client } = await register();
      const response = await api("PATCH", `/v1/admin/clients/${client.id}`, {
        name: "Orders",
        firstParty: false,
      });
      expect(response.json<{ client: ClientJson }>().client).toEqual(client);
      expect((await eventsOf(client.id)).map((event) => event.type)).toEqual(["client.created"]);
    });
  });

  describe("POST /v1/admin/clients/:id/secret", () => {
    it("gives a new secret, shown once; the old one stops working at once", async () => {
      const { client, clientSecret: first } = await register();
      if (first === undefined) throw new Error("no secret");
      const response = await api("POST", `/v1/admin/clients/${client.id}/secret`);
      expect(response.statusCode, response.body).toBe(200);
      expect(response.headers["cache-control"]).toBe("no-store");
      const { clientSecret: second } = response.json<{ clientSecret: string }>();
      expect(Object.keys(response.json())).toEqual(["clientSecret"]);
      expect(second).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(second).not.toBe(first);

      const hash = (await storedHash(client.id)) ?? "";
      expect(verifyClientSecret(first, hash)).toBe(false);
      expect(verifyClientSecret(second, hash)).toBe(true);
      const later = await api("GET", `/v1/admin/clients/${client.id}`);
      expect(later.body).not.toContain(second);

      const events = await eventsOf(client.id);
      expect(events.map((event) => [event.type, event.actor_id])).toEqual([
        ["client.created", admin.user.id],
        ["client.secret_rotated", admin.user.id],
      ]);
      expect(JSON.stringify(events)).not.toContain(second);
    });

    it("refuses a public client (it has no secret) and answers 404 not_found for an unknown id", async () => {
      const { client } = await register({
        name: "SPA",
        type: "public",
        redirectUris: ["https://spa.example.com/cb"],
        grantTypes: ["authorization_code"],
        scopes: ["openid"],
      });
      expectProblem(await api("POST", `/v1/admin/clients/${client.id}/secret`), 400, "validation_failed");
      expect(await storedHash(client.id)).toBeNull();
      expectProblem(await api("POST", "/v1/admin/clients/no-such-client/secret"), 404, "not_found");
    });
  });

  describe("DELETE /v1/admin/clients/:id", () => {
    it("deletes the client (204) and records client.deleted; then it is 404 not_found", async () => {
      const { client } = await register();
      const response = await api("DELETE", `/v1/admin/clients/${client.id}`);
      expect(response.statusCode, response.body).toBe(204);
      expect(response.body).toBe("");
      expect(await t.services.clients.findClientById(client.id)).toBeNull();
      expectProblem(await api("GET", `/v1/admin/clients/${client.id}`), 404, "not_found");
      expectProblem(await api("DELETE", `/v1/admin/clients/${client.id}`), 404, "not_found");
      expect(
        (await eventsOf(client.id)).map((event) => [event.type, event.actor_id, event.details.name]),
      ).toEqual([
        ["client.created", admin.user.id, "Orders"],
        ["client.deleted", admin.user.id, "Orders"],
      ]);
    });
  });

  describe("guards", () => {
    let plain: SignedIn;
    let readKey: string;
    let writeKey: string;

    beforeAll(async () => {
      plain = await createSignedInUser(t);
      readKey = (await createApiKey(t, admin, { name: "clients read", scopes: ["admin:read"] })).key;
      writeKey = (await createApiKey(t, admin, { name: "clients write", scopes: ["admin:write"] })).key;
    });

    const calls = (id: string) =>
      [
        ["POST", "/v1/admin/clients", WEB_APP, "admin:write"],
        ["GET", "/v1/admin/clients", undefined, "admin:read"],
        ["GET", `/v1/admin/clients/${id}`, undefined, "admin:read"],
        ["PATCH", `/v1/admin/clients/${id}`, { name: "Renamed" }, "admin:write"],
        ["POST", `/v1/admin/clients/${id}/secret`, {}, "admin:write"],
        ["DELETE", `/v1/admin/clients/${id}`, undefined, "admin:write"],
      ] as const;

    it("answers 401 without credentials and 403 insufficient_role to a user without the admin role", async () => {
      const { client } = await register();
      for (const [method, url, body] of calls(client.id)) {
        expectProblem(await send(t, method, url, {}, body), 401, "unauthenticated");
        expectProblem(await send(t, method, url, plain.headers, body), 403, "insufficient_role");
      }
      expect(await t.services.clients.findClientById(client.id)).toMatchObject({ name: "Orders" });
    });

    it("takes an administrator's API key with admin:read for reading and admin:write for changes", async () => {
      const { client } = await register();
      for (const [method, url, body, scope] of calls(client.id)) {
        const [allowed, refusedKey] = scope === "admin:read" ? [readKey, writeKey] : [writeKey, readKey];
        const denied = await send(t, method, url, apiKeyHeader(refusedKey), body);
        expectProblem(denied, 403, "insufficient_scope");
        expect(denied.headers["www-authenticate"]).toContain(`scope="${scope}"`);
        const response = await send(t, method, url, apiKeyHeader(allowed), body);
        expect(response.statusCode, `${method} ${url}: ${response.body}`).toBeLessThan(300);
      }
    });
  });
});

describe("admin API › OAuth clients in production", () => {
  let t: TestApp;
  let admin: SignedIn;
  const outbox = mkdtempSync(join(tmpdir(), "portcullis-clients-outbox-"));

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        NODE_ENV: "production",
        PORTCULLIS_PUBLIC_URL: "https://auth.example.com",
        PORTCULLIS_MAIL_OUTBOX: outbox,
      },
    });
    admin = await createAdmin(t);
  });
  afterAll(async () => {
    await t.close();
    rmSync(outbox, { recursive: true, force: true });
  });

  it("refuses http:// redirect URIs, loopback ones too, and offers only the OpenID Connect scopes", async () => {
    const post = (body: unknown) => send(t, "POST", "/v1/admin/clients", admin.headers, body);
    const loopback = expectProblem(
      await post({ ...WEB_APP, redirectUris: ["http://localhost:3000/cb"], scopes: ["openid"] }),
      400,
      "validation_failed",
    );
    expect(loopback.errors?.map((error) => [error.pointer, error.code])).toEqual([
      ["/redirectUris/0", "uri_http_in_production"],
    ]);
    const scope = expectProblem(await post(WEB_APP), 400, "validation_failed");
    expect(scope.errors?.map((error) => error.pointer)).toEqual(["/scopes/2"]);
    const created = await post({ ...WEB_APP, scopes: ["openid", "profile", "email", "offline_access"] });
    expect(created.statusCode, created.body).toBe(201);
  });
});
