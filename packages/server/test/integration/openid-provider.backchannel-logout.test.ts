/**
 * OpenID Connect Back-Channel Logout 1.0 from a durable outbox: when the person signs out of
 * Portcullis, a client that registered a back-channel logout URI receives a logout token signed
 * with the JWKS's key, naming the client, the person and the `sid` of its ID token; a client that
 * is down when it happens receives it once it is back (the worker retries), and each outcome is
 * audited.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createLocalJWKSet, jwtVerify } from "jose";
import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OAuthClient } from "../../src/domain/oauth-clients/oauth-client.js";
import { createBrowser } from "../support/browser.js";
import { authorizationRequest, authorizeInBrowser, discover } from "../support/openid-relying-party.js";
import {
  createManualClock,
  createTestApp,
  PUBLIC_URL,
  type TestApp,
  uniqueEmail,
} from "../support/test-app.js";

const CALLBACK = "https://wiki.example.com/callback";
const BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout";

describe("OpenID provider › back-channel logout", () => {
  const clock = createManualClock();
  let t: TestApp;
  let receiver: Server;
  /** What the client's back-channel endpoint answers next. */
  let answer = 200;
  const received: string[] = [];
  /** Every request the endpoint got, whatever it answered. */
  let hits = 0;
  let registered: { client: OAuthClient; clientSecret: string | null };
  let rp: client.Configuration;

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => {
        body += chunk.toString("utf8");
      });
      request.on("end", () => {
        hits++;
        if (answer === 200) received.push(new URLSearchParams(body).get("logout_token") ?? "");
        response.writeHead(answer).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const { port } = receiver.address() as AddressInfo;
    t = await createTestApp({ clock });
    const created = await t.services.clients.createClient(
      {
        name: "Team Wiki",
        type: "confidential",
        grantTypes: ["authorization_code"],
        scopes: ["openid", "email"],
        redirectUris: [CALLBACK],
        backchannelLogoutUri: `http://127.0.0.1:${port}/backchannel-logout`,
      },
      null,
    );
    if (!created.ok) throw new Error(JSON.stringify(created));
    registered = { client: created.client, clientSecret: created.clientSecret };
    rp = await discover(t, registered);
  });
  afterAll(async () => {
    await t?.close();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  const worker = () => {
    const openId = t.services.openId;
    if (openId === undefined) throw new Error("the provider is off");
    return openId.backchannelLogouts;
  };

  async function signInThenOut() {
    const email = uniqueEmail("bcl");
    await t.signUp(email);
    const browser = createBrowser(t, []);
    const request = await authorizationRequest(rp, CALLBACK, "openid email");
    const flow = await authorizeInBrowser(browser, request, CALLBACK, { email });
    const tokens = await client.authorizationCodeGrant(rp, flow.callback, {
      pkceCodeVerifier: request.codeVerifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    const account = await browser.follow(`${PUBLIC_URL}/account`);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(account.body)?.[1] ?? "";
    expect((await browser.request("POST", `${PUBLIC_URL}/logout`, { _csrf: csrf })).status).toBe(303);
    return { idToken: tokens.claims() };
  }

  it("posts the client a signed logout token when the person signs out of Portcullis", async () => {
    answer = 200;
    received.length = 0;
    const { idToken } = await signInThenOut();
    // The session's end reaches the provider over the revocation bus; then the outbox is worked.
    await expect
      .poll(async () => {
        await worker().drainOnce();
        return received.length;
      })
      .toBe(1);
    const { payload, protectedHeader } = await jwtVerify(
      received[0] ?? "",
      createLocalJWKSet(t.services.keyRing.jwks() as never),
      {
        issuer: PUBLIC_URL,
        audience: registered.client.id,
        typ: "logout+jwt",
        currentDate: new Date(clock.now()),
      },
    );
    expect(protectedHeader.alg).toBe("ES256");
    expect(payload.sub).toBe(idToken?.sub);
    expect(payload.sid).toBe(idToken?.sid);
    expect(payload.events).toEqual({ [BACKCHANNEL_EVENT]: {} });
    expect(payload).not.toHaveProperty("nonce");
  });

  it("keeps a logout for a client that is down, and delivers it when it is back", async () => {
    answer = 503;
    received.length = 0;
    hits = 0;
    await signInThenOut();
    // The worker is woken when the row is written; a pass of our own makes sure one ran.
    await expect
      .poll(async () => {
        await worker().drainOnce();
        return hits;
      })
      .toBe(1);
    expect(received).toHaveLength(0);
    // Not due again before its backoff.
    expect(await worker().drainOnce()).toEqual({ delivered: 0, retried: 0, failed: 0 });
    answer = 200;
    clock.advance(11_000);
    expect((await worker().drainOnce()).delivered).toBe(1);
    expect(received).toHaveLength(1);
    const events = await t.services.auditLog.listEvents({ type: "backchannel_logout.delivered", limit: 10 });
    expect(events.ok && events.events.some((event) => event.details.attempts === 2)).toBe(true);
  });
});
