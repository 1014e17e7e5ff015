/**
 * Tokens for machines and what clients may do with tokens (API.md "The OpenID provider"):
 * client credentials give an RFC 9068 JWT whose `sub` is the client (the middleware's own suite
 * verifies one); introspection and revocation answer a client about its own tokens only; a wrong
 * secret, a scope the client was not registered with, and a deleted client are refused.
 */
import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OAuthClient } from "../../src/domain/oauth-clients/oauth-client.js";
import { apiKeyHeader, createAdmin, createApiKey, send } from "../support/accounts.js";
import { discover } from "../support/openid-relying-party.js";
import { createTestApp, PUBLIC_URL, type TestApp } from "../support/test-app.js";

type Registered = { client: OAuthClient; clientSecret: string | null };

describe("OpenID provider › client credentials, introspection, revocation", () => {
  let t: TestApp;
  let reports: Registered;
  let other: Registered;

  async function register(name: string, scopes: string[]): Promise<Registered> {
    const created = await t.services.clients.createClient(
      { name, type: "confidential", grantTypes: ["client_credentials"], scopes },
      null,
    );
    if (!created.ok) throw new Error(JSON.stringify(created));
    return { client: created.client, clientSecret: created.clientSecret };
  }

  beforeAll(async () => {
    t = await createTestApp({ env: { PORTCULLIS_SCOPES: "reports:read reports:write" } });
    reports = await register("Nightly reports", ["reports:read"]);
    other = await register("Another job", ["reports:read", "reports:write"]);
  });
  afterAll(async () => {
    await t?.close();
  });

  const tokenFor = async (registered: Registered, scope = "reports:read") =>
    client.clientCredentialsGrant(await discover(t, registered), { scope });

  it("issues a JWT for the client itself, with no refresh token", async () => {
    const tokens = await tokenFor(reports);
    const payload = JSON.parse(
      Buffer.from(tokens.access_token.split(".")[1] ?? "", "base64url").toString("utf8"),
    );
    expect(payload).toMatchObject({
      iss: PUBLIC_URL,
      aud: PUBLIC_URL,
      sub: reports.client.id,
      client_id: reports.client.id,
      scope: "reports:read",
      roles: [],
    });
    expect(tokens.refresh_token).toBeUndefined();
  });

  it("refuses a scope the client was not registered with, and a wrong secret", async () => {
    await expect(tokenFor(reports, "reports:write")).rejects.toMatchObject({ error: "invalid_scope" });
    const wrong = { ...reports, clientSecret: `${reports.clientSecret}x` };
    await expect(tokenFor(wrong)).rejects.toMatchObject({
      status: 401,
      cause: [{ parameters: { error: "invalid_client" } }],
    });
  });

  it("introspects a client's own token, and tells another client nothing", async () => {
    const tokens = await tokenFor(reports);
    const own = await client.tokenIntrospection(await discover(t, reports), tokens.access_token);
    expect(own).toMatchObject({
      active: true,
      client_id: reports.client.id,
      scope: "reports:read",
      sub: reports.client.id,
    });
    const foreign = await client.tokenIntrospection(await discover(t, other), tokens.access_token);
    expect(foreign.active).toBe(false);
  });

  it("revokes a token: introspection and the middleware refuse it from then on", async () => {
    const tokens = await tokenFor(reports);
    const config = await discover(t, reports);
    // Another client's revocation request changes nothing (RFC 7009: the same empty 200).
    await client.tokenRevocation(await discover(t, other), tokens.access_token);
    expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(true);

    await client.tokenRevocation(config, tokens.access_token);
    expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
    // A token issued before is not touched: only the revoked one's `sid` is.
    const fresh = await tokenFor(reports);
    expect((await client.tokenIntrospection(config, fresh.access_token)).active).toBe(true);
  });

  it("revokes every token of a deleted client (for every verifier, durably), and forgets the client", async () => {
    const doomed = await register("Short-lived job", ["reports:read"]);
    const tokens = await tokenFor(doomed);
    const config = await discover(t, doomed);
    expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(true);
    const deletedAt = Date.now();
    expect(await t.services.clients.deleteClient(doomed.client.id, null)).toBe(true);

    // What resource servers catch up from: the client's id, as the `sub` of its tokens.
    const admin = await createAdmin(t);
    const serviceKey = (await createApiKey(t, admin, { name: "reports service", scopes: ["introspect"] }))
      .key;
    const listed = await send(
      t,
      "GET",
      `/v1/auth/revocations?since=${deletedAt - 1000}`,
      apiKeyHeader(serviceKey),
    );
    expect(listed.statusCode, listed.body).toBe(200);
    expect(listed.json<{ revocations: unknown[] }>().revocations).toContainEqual({
      kind: "user",
      userId: doomed.client.id,
      at: expect.any(Number),
    });
    const invalidClient = { status: 401, cause: [{ parameters: { error: "invalid_client" } }] };
    await expect(tokenFor(doomed)).rejects.toMatchObject(invalidClient);
    await expect(client.tokenIntrospection(config, tokens.access_token)).rejects.toMatchObject(invalidClient);
  });
});
