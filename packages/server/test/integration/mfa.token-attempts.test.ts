/**
 * Invariant: guessing second-factor codes is bounded (RFC 4226 §7.3; ASVS 6.3.1; security.md R7).
 * An mfaToken allows five attempts: after five wrong codes it is over and even the right code
 * answers `401 invalid_mfa_token` (the user signs in again). Signing in again does not reset the
 * account's budget: after ten wrong codes in fifteen minutes, across tokens, codes answer `429`
 * with `Retry-After` until the window passes. And `POST /v1/auth/mfa` counts against the
 * per-address limit of public endpoints (PORTCULLIS_RATE_LIMIT).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { totpCode } from "../../src/domain/mfa/totp.js";
import { createSignedInUser } from "../support/accounts.js";
import { completeMfa, currentCode, enrolTotp, loginForMfa, nextStep } from "../support/mfa.js";
import { expectProblem } from "../support/problem-assertions.js";
import { createManualClock, createTestApp, type TestApp } from "../support/test-app.js";

const MINUTE = 60_000;

describe("mfaToken attempts and the account's code budget", () => {
  const clock = createManualClock(Date.now());
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ clock });
  });
  afterAll(() => t.close());

  /** A six-digit code that is none of the codes accepted right now (±1 step). */
  const wrongCode = (secret: Uint8Array) => {
    const accepted = [-1, 0, 1].map((step) => totpCode(secret, clock.now() + step * 30_000));
    return ["111111", "222222", "333333", "444444"].find((code) => !accepted.includes(code)) ?? "555555";
  };

  it("five wrong codes end the mfaToken: the right code then answers invalid_mfa_token", async () => {
    const user = await createSignedInUser(t);
    const { secret } = await enrolTotp(t, user.headers);
    nextStep(clock);
    const { mfaToken } = await loginForMfa(t, user.email);
    for (let attempt = 1; attempt <= 5; attempt++) {
      expectProblem(await completeMfa(t, { mfaToken, code: wrongCode(secret) }), 401, "invalid_mfa_code");
    }
    expectProblem(await completeMfa(t, { mfaToken, code: currentCode(t, secret) }), 401, "invalid_mfa_token");
    // Every failure is on the record.
    const events = (await t.get("/v1/me/events", user.headers)).json<{ events: { type: string }[] }>().events;
    expect(events.filter((event) => event.type === "mfa.code_failed")).toHaveLength(5);
    // A new sign-in gets a new token; the right code works there.
    const again = await loginForMfa(t, user.email);
    expect(
      (await completeMfa(t, { mfaToken: again.mfaToken, code: currentCode(t, secret) })).statusCode,
    ).toBe(200);
  });

  it("four wrong codes leave the fifth attempt for the right one", async () => {
    const user = await createSignedInUser(t);
    const { secret } = await enrolTotp(t, user.headers);
    nextStep(clock);
    const { mfaToken } = await loginForMfa(t, user.email);
    for (let attempt = 1; attempt <= 4; attempt++) {
      expectProblem(await completeMfa(t, { mfaToken, backupCode: "not-a-code" }), 401, "invalid_mfa_code");
    }
    expect((await completeMfa(t, { mfaToken, code: currentCode(t, secret) })).statusCode).toBe(200);
  });

  it("concurrent guesses cannot exceed the token's five attempts", async () => {
    const user = await createSignedInUser(t);
    const { secret } = await enrolTotp(t, user.headers);
    const { mfaToken } = await loginForMfa(t, user.email);
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => completeMfa(t, { mfaToken, code: wrongCode(secret) })),
    );
    const codes = answers.map((answer) => answer.json<{ code: string }>().code);
    expect(codes.filter((code) => code === "invalid_mfa_code")).toHaveLength(5);
    expect(codes.filter((code) => code === "invalid_mfa_token")).toHaveLength(3);
  });

  it("ten wrong codes across sign-ins block codes for the account until fifteen minutes pass", async () => {
    const user = await createSignedInUser(t);
    const { secret } = await enrolTotp(t, user.headers);
    for (let round = 0; round < 2; round++) {
      const { mfaToken } = await loginForMfa(t, user.email);
      for (let attempt = 0; attempt < 5; attempt++) {
        expectProblem(await completeMfa(t, { mfaToken, code: wrongCode(secret) }), 401, "invalid_mfa_code");
      }
    }
    nextStep(clock);
    const { mfaToken } = await loginForMfa(t, user.email);
    const blocked = expectProblem(
      await completeMfa(t, { mfaToken, code: currentCode(t, secret) }),
      429,
      "rate_limited",
    );
    expect(blocked.status).toBe(429);
    const retryAfter = Number(
      (await completeMfa(t, { mfaToken, code: currentCode(t, secret) })).headers["retry-after"],
    );
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    // Step-up codes count against the same budget.
    expectProblem(
      await t.post("/v1/auth/reauthenticate", { code: currentCode(t, secret) }, user.headers),
      429,
      "rate_limited",
    );

    clock.advance(15 * MINUTE);
    nextStep(clock);
    const later = await loginForMfa(t, user.email);
    const done = await completeMfa(t, { mfaToken: later.mfaToken, code: currentCode(t, secret) });
    expect(done.statusCode, done.body).toBe(200);
  });
});

describe("POST /v1/auth/mfa and PORTCULLIS_RATE_LIMIT", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { PORTCULLIS_RATE_LIMIT: "3/1m" } });
  });
  afterAll(() => t.close());

  it("counts against the per-address limit of public endpoints, with Retry-After", async () => {
    for (let request = 0; request < 3; request++) {
      expectProblem(
        await completeMfa(t, { mfaToken: "unknown-token-unknown-token", code: "123456" }),
        401,
        "invalid_mfa_token",
      );
    }
    const limited = await completeMfa(t, { mfaToken: "unknown-token-unknown-token", code: "123456" });
    expectProblem(limited, 429, "rate_limited");
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
  });
});
