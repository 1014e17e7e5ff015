/**
 * Invariant: `POST /v1/password/forgot` reveals nothing about whether an address has an account.
 * Known, unknown and disabled addresses get the same status (202), the same empty body, the same
 * headers and the same response time, because the request does the same work for all of them:
 * it records the request and wakes the mail worker, which looks the address up afterwards, off
 * the request path. The per-address limit counts unknown addresses exactly like known ones, and
 * the per-client-address limit (PORTCULLIS_RATE_LIMIT) applies too (API.md "Password reset and
 * email verification"; ASVS 6.3.8; security.md §2.7 item 28).
 */
import type { LightMyRequestResponse } from "fastify";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "../support/problem-assertions.js";
import { createTestApp, STRONG_PASSWORD, type TestApp, uniqueEmail } from "../support/test-app.js";

/** Headers whose value may differ between any two responses. */
const VOLATILE_HEADERS = new Set(["date"]);

const comparableHeaders = (response: LightMyRequestResponse) =>
  Object.fromEntries(Object.entries(response.headers).filter(([name]) => !VOLATILE_HEADERS.has(name)));

async function registered(t: TestApp, email = uniqueEmail("known")): Promise<string> {
  const response = await t.post("/v1/auth/register", { email, password: STRONG_PASSWORD });
  expect(response.statusCode, response.body).toBe(201);
  return email;
}

describe("forgot password › the answer", () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { PORTCULLIS_EMAIL_RATE_LIMIT: "off" } });
  });
  afterAll(() => t.close());

  it("is the same 202, body and headers for a known, an unknown and a disabled address", async () => {
    const known = await registered(t);
    const disabled = await registered(t);
    await t.database.db
      .updateTable("users")
      .set({ disabled_at: Date.now() })
      .where("email", "=", disabled)
      .execute();

    const responses = [
      await t.post("/v1/password/forgot", { email: known }),
      await t.post("/v1/password/forgot", { email: uniqueEmail("nobody") }),
      await t.post("/v1/password/forgot", { email: disabled }),
      await t.post("/v1/password/forgot", { email: ` ${known.toUpperCase()} ` }),
    ];

    for (const response of responses) {
      expect(response.statusCode).toBe(202);
      expect(response.body).toBe("");
      expect(comparableHeaders(response)).toEqual(comparableHeaders(responses[0] as LightMyRequestResponse));
    }
  });

  it("mails only the known, enabled address, and records every request in the audit log", async () => {
    const known = await registered(t);

    await t.post("/v1/password/forgot", { email: known });
    await t.post("/v1/password/forgot", { email: uniqueEmail("nobody") });
    await t.services.mail.drainOnce();

    const requested = await t.database.db
      .selectFrom("audit_events")
      .select(["user_id", "details"])
      .where("type", "=", "password.reset_requested")
      .orderBy("seq", "desc")
      .limit(2)
      .execute();
    expect(requested.map((event) => JSON.parse(event.details))).toEqual([
      { mailed: false },
      { mailed: true },
    ]);
    expect(requested[0]?.user_id).toBeNull();
    // Nothing is left waiting: the worker took both requests, and the one mail went out.
    expect(await t.database.db.selectFrom("password_reset_requests").selectAll().execute()).toEqual([]);
    expect(await t.database.db.selectFrom("mail_outbox").select("id").execute()).toEqual([]);
  });

  it("answers a malformed address with 400 validation_failed, which says nothing about accounts", async () => {
    const response = await t.post("/v1/password/forgot", { email: "not an address" });
    const problem = expectProblem(response, 400, "validation_failed");
    expect(problem.errors?.[0]?.pointer).toBe("/email");
  });
});

describe("forgot password › timing", () => {
  let timed: TestApp;

  beforeAll(async () => {
    timed = await createTestApp({ env: { PORTCULLIS_EMAIL_RATE_LIMIT: "off" } });
  });
  afterAll(() => timed.close());

  async function timeForgot(email: string): Promise<number> {
    // The worker's part (looking up, issuing, mailing) happens after the answer; it is finished
    // before each sample so it cannot land inside the next one.
    await timed.services.mail.drainOnce();
    const started = process.hrtime.bigint();
    const response = await timed.post("/v1/password/forgot", { email });
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    expect(response.statusCode).toBe(202);
    return elapsedMs;
  }

  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  };

  it("takes about as long for an unknown address as for a known one", async () => {
    const known = await registered(timed);
    for (let i = 0; i < 3; i++) {
      await timeForgot(uniqueEmail("warm"));
      await timeForgot(known);
    }
    const unknown: number[] = [];
    const knownTimes: number[] = [];
    // Interleaved, so a burst of load elsewhere on the machine hits both series alike.
    for (let i = 0; i < 21; i++) {
      unknown.push(await timeForgot(uniqueEmail("nobody")));
      knownTimes.push(await timeForgot(known));
    }
    const ratio = median(unknown) / median(knownTimes);
    const series = `unknown ${unknown.map((ms) => ms.toFixed(2))} ms vs known ${knownTimes.map((ms) => ms.toFixed(2))} ms`;
    expect(ratio, series).toBeGreaterThan(0.5);
    expect(ratio, series).toBeLessThan(2);
  });
});

describe("forgot password › rate limits", () => {
  const apps: TestApp[] = [];
  afterEach(async () => {
    while (apps.length > 0) await apps.pop()?.close();
  });
  const open = async (env: Record<string, string>) => {
    const t = await createTestApp({ env });
    apps.push(t);
    return t;
  };
  const forgotFrom = (t: TestApp, email: string, remoteAddress: string) =>
    t.app.inject({
      method: "POST",
      url: "/v1/password/forgot",
      headers: { "content-type": "application/json" },
      payload: JSON.stringify({ email }),
      remoteAddress,
    });

  function expectRateLimited(response: LightMyRequestResponse) {
    expectProblem(response, 429, "rate_limited");
    expect(String(response.headers["retry-after"])).toMatch(/^[1-9]\d*$/);
  }

  it("limits requests per address (PORTCULLIS_EMAIL_RATE_LIMIT), for unknown addresses exactly as for known ones", async () => {
    const t = await open({ PORTCULLIS_EMAIL_RATE_LIMIT: "2/1h" });
    const known = await registered(t);
    const unknown = uniqueEmail("nobody");
    for (const email of [known, unknown]) {
      // From different client addresses: it is the mailbox that is protected from a flood.
      expect((await forgotFrom(t, email, "198.51.100.1")).statusCode).toBe(202);
      expect((await forgotFrom(t, email, "198.51.100.2")).statusCode).toBe(202);
    }
    const knownLimited = await forgotFrom(t, known.toUpperCase(), "198.51.100.3");
    const unknownLimited = await forgotFrom(t, unknown, "198.51.100.3");
    expectRateLimited(knownLimited);
    expectRateLimited(unknownLimited);
    expect(knownLimited.body).toBe(unknownLimited.body);
  });

  it("limits requests per client address (PORTCULLIS_RATE_LIMIT), whatever the addresses asked for", async () => {
    const t = await open({ PORTCULLIS_RATE_LIMIT: "2/1m", PORTCULLIS_EMAIL_RATE_LIMIT: "off" });
    expect((await forgotFrom(t, uniqueEmail(), "198.51.100.20")).statusCode).toBe(202);
    expect((await forgotFrom(t, uniqueEmail(), "198.51.100.20")).statusCode).toBe(202);
    expectRateLimited(await forgotFrom(t, uniqueEmail(), "198.51.100.20"));
    expect((await forgotFrom(t, uniqueEmail(), "198.51.100.21")).statusCode).toBe(202);
  });
});
