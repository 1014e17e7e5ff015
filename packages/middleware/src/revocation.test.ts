/**
 * The revocation listener on its own: it reads only well-formed events off the bus (anything
 * else on the channel is ignored), and while it cannot hear Portcullis it does what it was told —
 * refuse every token with 503 (`whenUnavailable: "refuse"`) or fall back to expiry (`"accept"`,
 * the default). The bus itself is tested against Redis and Portcullis in
 * `test/revocation.bus.test.ts`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRevocationListener, parseRevocationEvent } from "./revocation.js";
import { createTokenVerifier } from "./verifier.js";
import {
  AUDIENCE,
  accessClaims,
  generateTestKey,
  ISSUER,
  type JwksServer,
  signWithJose,
  startJwksServer,
  type TestKey,
} from "./verifier.test-support.js";

describe("parseRevocationEvent", () => {
  it("reads the two kinds of event of the wire format", () => {
    expect(parseRevocationEvent('{"kind":"session","sessionId":"s1","at":1700000000000}')).toEqual({
      kind: "session",
      sessionId: "s1",
      at: 1700000000000,
    });
    expect(parseRevocationEvent('{"kind":"user","userId":"u1","at":1700000000000,"extra":true}')).toEqual({
      kind: "user",
      userId: "u1",
      at: 1700000000000,
    });
  });

  it.each([
    "not json",
    "null",
    "[]",
    '{"kind":"session","sessionId":"s1"}',
    '{"kind":"session","sessionId":"","at":1}',
    '{"kind":"session","userId":"u1","at":1}',
    '{"kind":"user","userId":7,"at":1}',
    '{"kind":"everything","at":1}',
    '{"kind":"user","userId":"u1","at":"1700000000000"}',
  ])("ignores %s", (message) => {
    expect(parseRevocationEvent(message)).toBeNull();
  });
});

describe("while Portcullis cannot be heard", () => {
  let server: JwksServer;
  let key: TestKey;
  beforeAll(async () => {
    key = generateTestKey("ES256");
    server = await startJwksServer([key.jwk]);
  });
  afterAll(() => server.close());

  async function verdictWith(whenUnavailable: "accept" | "refuse") {
    const errors: string[] = [];
    const revocations = createRevocationListener({
      redisUrl: "redis://127.0.0.1:1",
      portcullisUrl: "http://127.0.0.1:1",
      apiKey: "pc_unused",
      whenUnavailable,
      startupTimeoutMs: 50,
      onError: (_error, context) => errors.push(context),
    });
    try {
      const verifier = createTokenVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        jwksUrl: server.url,
        revocations,
      });
      // The first request waits (at most startupTimeoutMs) for a first catch-up that never comes.
      const result = await verifier.verify(await signWithJose(key, accessClaims(Date.now())));
      return { result, status: revocations.status, errors };
    } finally {
      await revocations.close();
    }
  }

  it("refuses every token with 503 when told to", async () => {
    const { result, status, errors } = await verdictWith("refuse");
    expect(result).toEqual({ ok: false, code: "service_unavailable", reason: "revocation_unavailable" });
    expect(status).toBe("starting");
    expect(errors).toContain("the Redis connection of the revocation listener");
  });

  it("falls back to expiry by default", async () => {
    expect((await verdictWith("accept")).result.ok).toBe(true);
  });

  it("refuses bad options at start-up, naming every problem", () => {
    expect(() =>
      createRevocationListener({
        redisUrl: "http://redis",
        prefix: "has space",
        portcullisUrl: "ftp://x",
        apiKey: "",
        whenUnavailable: "maybe" as "accept",
      }),
    ).toThrow(/redisUrl.*prefix.*portcullisUrl.*apiKey.*whenUnavailable/);
  });
});
