/**
 * The provider signs with Portcullis's own keys and follows their rotation (a token signed before
 * still verifies with the one JWKS), and RFC 8707 resource indicators set an access token's `aud`:
 * a configured resource is granted, anything else is refused with `invalid_target`.
 */

import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OAuthClient } from "../../src/domain/oauth-clients/oauth-client.js";
import { discover } from "../support/openid-relying-party.js";
import { createTestApp, PUBLIC_URL, type TestApp } from "../support/test-app.js";

const REPORTS_API = "https://reports.example.com";

describe("OpenID provider › keys and resources", () => {
  let t: TestApp;
  let registered: { client: OAuthClient; clientSecret: string | null };
  let rp: client.Configuration;

  beforeAll(async () => {
    t = await createTestApp({
      env: { PORTCULLIS_SCOPES: "reports:read", PORTCULLIS_RESOURCES: REPORTS_API },
    });
    const created = await t.services.clients.createClient(
      {
        name: "Reports job",
        type: "confidential",
        grantTypes: ["client_credentials"],
        scopes: ["reports:read"],
      },
      null,
    );
    if (!created.ok) throw new Error(JSON.stringify(created));
    registered = created;
    rp = await discover(t, registered);
  });
  afterAll(async () => {
    await t?.close();
  });

  const jwks = async () => createLocalJWKSet((await t.get("/.well-known/jwks.json")).json());
  const payloadOf = (token: string) =>
    JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<
      string,
      unknown
    >;

  it("gives a token for the resource asked for, and refuses a resource it does not know", async () => {
    const forReports = await client.clientCredentialsGrant(rp, {
      scope: "reports:read",
      resource: REPORTS_API,
    });
    expect(payloadOf(forReports.access_token).aud).toBe(REPORTS_API);
    const byDefault = await client.clientCredentialsGrant(rp, { scope: "reports:read" });
    expect(payloadOf(byDefault.access_token).aud).toBe(PUBLIC_URL);
    await expect(
      client.clientCredentialsGrant(rp, { scope: "reports:read", resource: "https://elsewhere.example.com" }),
    ).rejects.toMatchObject({ error: "invalid_target" });
  });

  it("signs with the new key after a rotation, and a token signed before still verifies", async () => {
    const before = await client.clientCredentialsGrant(rp, { scope: "reports:read" });
    const oldKid = decodeProtectedHeader(before.access_token).kid;
    const newKid = await t.services.signingKeys.rotate();
    expect(newKid).not.toBe(oldKid);
    const after = await client.clientCredentialsGrant(rp, { scope: "reports:read" });
    expect(decodeProtectedHeader(after.access_token).kid).toBe(newKid);
    for (const token of [before.access_token, after.access_token]) {
      const { payload } = await jwtVerify(token, await jwks(), { issuer: PUBLIC_URL, audience: PUBLIC_URL });
      expect(payload.client_id).toBe(registered.client.id);
    }
  });
});
