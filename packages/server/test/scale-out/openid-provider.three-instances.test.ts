import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, type Instance, startCluster } from "../support/cluster.js";
import { createInstanceBrowser, fetchThrough, requestInstance } from "../support/cluster-http.js";
import { authorizationRequest, authorizeInBrowser } from "../support/openid-relying-party.js";
import { STRONG_PASSWORD, uniqueEmail } from "../support/test-app.js";

const APP = "https://wiki.example.com";
const CALLBACK = `${APP}/callback`;
/** A revoked grant reaches the other instances over the revocation bus; the contract says one second. */
const PROPAGATION_BOUND_MS = 1_000;

let cluster: Cluster;
let publicUrl: string;
let a: Instance;
let b: Instance;
let c: Instance;

async function postJson(
  instance: Instance,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const response = await requestInstance(
    instance,
    "POST",
    `${publicUrl}${path}`,
    { "content-type": "application/json", ...headers },
    JSON.stringify(body),
  );
  return {
    status: response.status,
    json: JSON.parse(response.body.toString("utf8")) as Record<string, unknown>,
  };
}

/** The relying party, with every request it makes served by `instance`. */
async function relyingPartyOn(instance: Instance, clientId: string, clientSecret: string) {
  const fetch = fetchThrough(() => instance);
  const config = await client.discovery(
    new URL(publicUrl),
    clientId,
    undefined,
    client.ClientSecretBasic(clientSecret),
    {
      execute: [client.allowInsecureRequests],
      [client.customFetch]: fetch,
    },
  );
  config[client.customFetch] = fetch;
  return config;
}

beforeAll(async () => {
  cluster = await startCluster(3);
  publicUrl = cluster.env.PORTCULLIS_PUBLIC_URL ?? "";
  [a, b, c] = cluster.instances as [Instance, Instance, Instance];
}, 120_000);
afterAll(() => cluster?.stop());

describe("the OpenID provider on three instances", () => {
  it("authorizes on A, exchanges the code on B, serves userinfo and a refresh on C, and catches the reused refresh token on A everywhere", async () => {
    // An operator's administrator registers the client through the admin API of B.
    const adminEmail = uniqueEmail("oidc-admin");
    const created = await cluster.cli([
      "users",
      "create",
      "--email",
      adminEmail,
      "--password",
      STRONG_PASSWORD,
      "--role",
      "admin",
    ]);
    expect(created.code, created.stderr).toBe(0);
    const adminLogin = await postJson(b, "/v1/auth/login", { email: adminEmail, password: STRONG_PASSWORD });
    expect(adminLogin.status).toBe(200);
    const registration = await postJson(
      b,
      "/v1/admin/clients",
      {
        name: "Team Wiki",
        type: "confidential",
        redirectUris: [CALLBACK],
        grantTypes: ["authorization_code", "refresh_token"],
        scopes: ["openid", "email", "offline_access"],
      },
      { authorization: `Bearer ${String(adminLogin.json.accessToken)}` },
    );
    expect(registration.status).toBe(201);
    const clientId = String((registration.json.client as { id: string }).id);
    const clientSecret = String(registration.json.clientSecret);

    const [rpA, rpB, rpC] = await Promise.all(
      [a, b, c].map((instance) => relyingPartyOn(instance, clientId, clientSecret)),
    );
    if (rpA === undefined || rpB === undefined || rpC === undefined) throw new Error("no relying party");
    // One issuer, whichever instance answers discovery.
    expect(rpA.serverMetadata().issuer).toBe(publicUrl);
    expect(rpB.serverMetadata()).toEqual(rpA.serverMetadata());
    expect(rpC.serverMetadata()).toEqual(rpA.serverMetadata());

    // A person signs in and consents on A: authorize, /login, the interaction and consent pages.
    const email = uniqueEmail("oidc-cluster");
    expect((await postJson(a, "/v1/auth/register", { email, password: STRONG_PASSWORD })).status).toBe(201);
    const browser = createInstanceBrowser(publicUrl, () => a);
    const request = await authorizationRequest(rpA, CALLBACK, "openid email offline_access", {
      prompt: "consent",
    });
    const flow = await authorizeInBrowser(browser, request, CALLBACK, { email });
    expect(flow.sawLogin).toBe(true);
    expect(flow.sawConsent).toBe(true);
    expect(flow.callback.searchParams.get("iss")).toBe(publicUrl);

    // The code is exchanged on B.
    const tokens = await client.authorizationCodeGrant(rpB, flow.callback, {
      pkceCodeVerifier: request.codeVerifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    const sub = String(tokens.claims()?.sub);
    expect(tokens.claims()).toMatchObject({ iss: publicUrl, aud: clientId, nonce: request.nonce });
    expect(tokens.refresh_token).toEqual(expect.any(String));

    // Userinfo and a refresh on C.
    expect(await client.fetchUserInfo(rpC, tokens.access_token, sub)).toMatchObject({ sub, email });
    const refreshed = await client.refreshTokenGrant(rpC, String(tokens.refresh_token));
    expect(refreshed.refresh_token).toEqual(expect.any(String));
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect((await client.fetchUserInfo(rpA, refreshed.access_token, sub)).sub).toBe(sub);

    // The rotated-out refresh token replayed on A: reuse, and the grant is revoked.
    await expect(client.refreshTokenGrant(rpA, String(tokens.refresh_token))).rejects.toMatchObject({
      error: "invalid_grant",
    });
    const reusedAt = performance.now();

    // The grant is gone everywhere: its live refresh token and both access tokens.
    const userinfoStatus = async (instance: Instance, accessToken: string) =>
      (
        await requestInstance(instance, "GET", `${publicUrl}/oauth2/userinfo`, {
          authorization: `Bearer ${accessToken}`,
        })
      ).status;
    const refusedAfter = async (instance: Instance, accessToken: string) => {
      for (;;) {
        const status = await userinfoStatus(instance, accessToken);
        const elapsed = performance.now() - reusedAt;
        if (status === 401) return elapsed;
        expect(status).toBe(200);
        if (elapsed > PROPAGATION_BOUND_MS)
          throw new Error(`${instance.url} still serves userinfo after ${Math.round(elapsed)} ms`);
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const delays = await Promise.all(
      [a, b, c].map((instance) => refusedAfter(instance, refreshed.access_token)),
    );
    console.log(
      `grant revoked on A by refresh-token reuse, access token refused at userinfo after: A ${delays[0]?.toFixed(1)} ms, B ${delays[1]?.toFixed(1)} ms, C ${delays[2]?.toFixed(1)} ms`,
    );
    for (const [instance, rp] of [
      [a, rpA],
      [b, rpB],
      [c, rpC],
    ] as const) {
      expect(await userinfoStatus(instance, tokens.access_token)).toBe(401);
      await expect(client.refreshTokenGrant(rp, String(refreshed.refresh_token))).rejects.toMatchObject({
        error: "invalid_grant",
      });
      expect((await client.tokenIntrospection(rp, String(refreshed.refresh_token))).active).toBe(false);
      expect((await client.tokenIntrospection(rp, refreshed.access_token)).active).toBe(false);
    }
  });
});
