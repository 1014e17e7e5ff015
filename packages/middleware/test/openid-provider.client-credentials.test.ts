/**
 * A machine's token from Portcullis's OpenID provider (client credentials), verified by the
 * middleware unchanged: signature from the JWKS, `iss`, `aud`, and the client's scopes enforced
 * by `requireScopes` (API.md "The OpenID provider", "Scopes fail closed").
 */
import { authenticate, requireScopes } from "@portcullis/middleware/fastify";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createManualClock, type RunningPortcullis, send, startPortcullis } from "./support/portcullis.js";

describe("client-credentials tokens from Portcullis's OpenID provider", () => {
  let running: RunningPortcullis;
  let api: FastifyInstance;
  let clientId: string;
  let clientSecret: string;

  beforeAll(async () => {
    running = await startPortcullis(createManualClock(), { PORTCULLIS_SCOPES: "reports:read reports:write" });
    const created = await send(running.portcullis, "POST", "/v1/admin/clients", running.admin.headers, {
      name: "Nightly reports",
      type: "confidential",
      redirectUris: [],
      grantTypes: ["client_credentials"],
      scopes: ["reports:read"],
    });
    expect(created.statusCode, created.body).toBe(201);
    const body = JSON.parse(created.body) as { client: { id: string }; clientSecret: string };
    clientId = body.client.id;
    clientSecret = body.clientSecret;

    const { publicUrl, audience } = running.portcullis.config;
    const auth = authenticate({
      issuer: publicUrl,
      audience,
      jwksUrl: `${running.url}/.well-known/jwks.json`,
    });
    api = Fastify();
    api.get("/reports", { onRequest: [auth, requireScopes("reports:read")] }, async (request) => ({
      caller: request.auth?.userId,
    }));
    api.post("/reports", { onRequest: [auth, requireScopes("reports:write")] }, async () => ({ ok: true }));
  });
  afterAll(async () => {
    await api?.close();
    await running?.portcullis.close();
  });

  async function clientCredentialsToken(scope: string): Promise<string> {
    const response = await fetch(`${running.url}/oauth2/token`, {
      method: "POST",
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString("base64")}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ grant_type: "client_credentials", scope }).toString(),
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { access_token: string }).access_token;
  }

  it("lets the token through where its scope is required, as the client itself", async () => {
    const token = await clientCredentialsToken("reports:read");
    const read = await api.inject({
      method: "GET",
      url: "/reports",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(read.statusCode, read.body).toBe(200);
    expect(read.json()).toEqual({ caller: clientId });
  });

  it("refuses it where a scope the client was not granted is required", async () => {
    const token = await clientCredentialsToken("reports:read");
    const write = await api.inject({
      method: "POST",
      url: "/reports",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(write.statusCode).toBe(403);
    expect(write.json()).toMatchObject({ code: "insufficient_scope" });
  });
});
