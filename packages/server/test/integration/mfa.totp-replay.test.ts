/**
 * Invariant: a TOTP code that was accepted once is never accepted again (RFC 6238 §5.2 "MUST NOT
 * accept the second attempt"; ASVS 6.5.1; security.md §2.4 item 18) — not by a second sign-in,
 * not by step-up, not the code that enabled TOTP, not an older code of the tolerance window once
 * a newer one was used, and not by another instance of the same deployment: the last accepted
 * time step lives in the SQL row and only a compare-and-swap moves it forward, so of two
 * instances checking one code at the same moment exactly one accepts it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { totpCode } from "../../src/domain/mfa/totp.js";
import { createSignedInUser } from "../support/accounts.js";
import { completeMfa, currentCode, enrolTotp, loginForMfa, nextStep, TOTP_STEP_MS } from "../support/mfa.js";
import { expectProblem } from "../support/problem-assertions.js";
import { createManualClock, createTestApp, type TestApp } from "../support/test-app.js";

describe("TOTP replay", () => {
  const clock = createManualClock(Date.now());
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await createTestApp({ clock });
    // A second instance over the same database (its own memory, or its own Redis prefix).
    b = await createTestApp({ clock, env: { DATABASE_URL: a.config.databaseUrl } });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it("refuses a code already used to sign in, for the next sign-in", async () => {
    const user = await createSignedInUser(a);
    const { secret } = await enrolTotp(a, user.headers);
    nextStep(clock);
    const code = currentCode(a, secret);
    const first = await loginForMfa(a, user.email);
    expect((await completeMfa(a, { mfaToken: first.mfaToken, code })).statusCode).toBe(200);

    const second = await loginForMfa(a, user.email);
    expectProblem(await completeMfa(a, { mfaToken: second.mfaToken, code }), 401, "invalid_mfa_code");
    const events = (await a.get("/v1/me/events", user.headers)).json<{
      events: { type: string; details: Record<string, unknown> }[];
    }>().events;
    expect(events.find((event) => event.type === "mfa.code_failed")?.details).toMatchObject({
      method: "totp",
      reason: "replayed",
    });
    // The next step's code is fine.
    nextStep(clock);
    expect(
      (await completeMfa(a, { mfaToken: second.mfaToken, code: currentCode(a, secret) })).statusCode,
    ).toBe(200);
  });

  it("refuses the code that enabled TOTP", async () => {
    const user = await createSignedInUser(a);
    const { secret } = await enrolTotp(a, user.headers);
    const { mfaToken } = await loginForMfa(a, user.email);
    expectProblem(await completeMfa(a, { mfaToken, code: currentCode(a, secret) }), 401, "invalid_mfa_code");
  });

  it("refuses an older code of the tolerance window once a newer one was accepted", async () => {
    const user = await createSignedInUser(a);
    const { secret } = await enrolTotp(a, user.headers);
    nextStep(clock);
    clock.advance(TOTP_STEP_MS); // two steps after the enabling code
    const previous = totpCode(secret, clock.now() - TOTP_STEP_MS); // still inside ±1 step
    const first = await loginForMfa(a, user.email);
    expect(
      (await completeMfa(a, { mfaToken: first.mfaToken, code: currentCode(a, secret) })).statusCode,
    ).toBe(200);
    const second = await loginForMfa(a, user.email);
    expectProblem(
      await completeMfa(a, { mfaToken: second.mfaToken, code: previous }),
      401,
      "invalid_mfa_code",
    );
  });

  it("refuses a code used to sign in when it is offered for step-up", async () => {
    const user = await createSignedInUser(a);
    const { secret } = await enrolTotp(a, user.headers);
    nextStep(clock);
    const code = currentCode(a, secret);
    const { mfaToken } = await loginForMfa(a, user.email);
    expect((await completeMfa(a, { mfaToken, code })).statusCode).toBe(200);
    expectProblem(await a.post("/v1/auth/reauthenticate", { code }, user.headers), 401, "invalid_mfa_code");
  });

  it("of two instances checking one code at the same moment, exactly one accepts it", async () => {
    const user = await createSignedInUser(a);
    const { secret } = await enrolTotp(a, user.headers);
    nextStep(clock);
    const code = currentCode(a, secret);
    const [onA, onB] = await Promise.all([loginForMfa(a, user.email), loginForMfa(b, user.email)]);
    const answers = await Promise.all([
      completeMfa(a, { mfaToken: onA.mfaToken, code }),
      completeMfa(b, { mfaToken: onB.mfaToken, code }),
    ]);
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 401]);
    const refused = answers.find((answer) => answer.statusCode === 401);
    expect(refused?.json<{ code: string }>().code).toBe("invalid_mfa_code");

    // And one after the other: instance B refuses what A accepted.
    nextStep(clock);
    const next = currentCode(a, secret);
    const [againA, againB] = [await loginForMfa(a, user.email), await loginForMfa(b, user.email)];
    expect((await completeMfa(a, { mfaToken: againA.mfaToken, code: next })).statusCode).toBe(200);
    expectProblem(await completeMfa(b, { mfaToken: againB.mfaToken, code: next }), 401, "invalid_mfa_code");
  });
});
