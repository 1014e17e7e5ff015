/**
 * Invariant: a login attempt reveals nothing about whether an account exists. An unknown email
 * and a wrong password for a real account get the same status, the same body byte for byte, the
 * same headers and a similar response time (the server spends a dummy argon2 hash on unknown
 * addresses). Email addresses are compared after trimming, NFKC and lower-casing. A disabled
 * account is only revealed to someone who presents its password (API.md "Registration and
 * login"; security.md §2.7 item 28).
 */
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "../support/problem-assertions.js";
import { createTestApp, STRONG_PASSWORD, type TestApp, uniqueEmail } from "../support/test-app.js";

const WRONG_PASSWORD = "not-the-Right-one-41";

/** Headers whose value may differ between any two responses. */
const VOLATILE_HEADERS = new Set(["date"]);

function comparableHeaders(response: LightMyRequestResponse): Record<string, unknown> {
  return Object.fromEntries(Object.entries(response.headers).filter(([name]) => !VOLATILE_HEADERS.has(name)));
}

/** Maps printable ASCII to its fullwidth form (U+FF01…U+FF5E), which NFKC maps back. */
function fullwidth(text: string): string {
  return [...text]
    .map((char) => {
      const code = char.codePointAt(0) ?? 0;
      return code >= 0x21 && code <= 0x7e && char !== "@" ? String.fromCodePoint(code - 0x21 + 0xff01) : char;
    })
    .join("");
}

describe("login enumeration", () => {
  let t: TestApp;
  let email: string;

  beforeAll(async () => {
    t = await createTestApp();
    email = uniqueEmail("alice");
    await t.signUp(email);
  });
  afterAll(() => t.close());

  it("answers an unknown email and a wrong password with the same status, body and headers", async () => {
    // Warm the dummy hash first: its first use computes it.
    await t.post("/v1/auth/login", { email: uniqueEmail("warm"), password: WRONG_PASSWORD });
    const unknown = await t.post("/v1/auth/login", {
      email: uniqueEmail("nobody"),
      password: WRONG_PASSWORD,
    });
    const wrong = await t.post("/v1/auth/login", { email, password: WRONG_PASSWORD });

    expectProblem(unknown, 401, "invalid_credentials");
    expectProblem(wrong, 401, "invalid_credentials");
    expect(wrong.statusCode).toBe(unknown.statusCode);
    expect(wrong.body).toBe(unknown.body);
    expect(comparableHeaders(wrong)).toEqual(comparableHeaders(unknown));
    expect(wrong.headers["set-cookie"]).toBeUndefined();
    expect(wrong.headers["www-authenticate"]).toBe(unknown.headers["www-authenticate"]);
  });

  it("answers a malformed email like an unknown one", async () => {
    const unknown = await t.post("/v1/auth/login", {
      email: uniqueEmail("nobody"),
      password: WRONG_PASSWORD,
    });
    const malformed = await t.post("/v1/auth/login", { email: "not an address", password: WRONG_PASSWORD });
    expectProblem(malformed, 401, "invalid_credentials");
    expect(malformed.body).toBe(unknown.body);
  });

  it("finds the account when the email differs only in surrounding spaces and letter case", async () => {
    const variant = `  ${email.toUpperCase().replace("EXAMPLE.COM", "Example.COM")} `;
    const response = await t.post("/v1/auth/login", { email: variant, password: STRONG_PASSWORD });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json<{ user: { email: string } }>().user.email).toBe(email);
  });

  it("finds the account when the email is typed in fullwidth characters (NFKC)", async () => {
    const response = await t.post("/v1/auth/login", { email: fullwidth(email), password: STRONG_PASSWORD });
    expect(response.statusCode, response.body).toBe(200);
  });

  it("reveals a disabled account only to someone who presents its password", async () => {
    const disabledEmail = uniqueEmail("disabled");
    await t.signUp(disabledEmail);
    await t.database.db
      .updateTable("users")
      .set({ disabled_at: Date.now() })
      .where("email", "=", disabledEmail)
      .execute();

    const right = await t.post("/v1/auth/login", { email: disabledEmail, password: STRONG_PASSWORD });
    expectProblem(right, 403, "account_disabled");
    expect(right.json()).not.toHaveProperty("accessToken");

    const wrong = await t.post("/v1/auth/login", { email: disabledEmail, password: WRONG_PASSWORD });
    const unknown = await t.post("/v1/auth/login", {
      email: uniqueEmail("nobody"),
      password: WRONG_PASSWORD,
    });
    expectProblem(wrong, 401, "invalid_credentials");
    expect(wrong.body).toBe(unknown.body);
  });
});

describe("login enumeration by timing", () => {
  // The shared harness runs argon2 with tiny parameters, under which a missing dummy hash would
  // hide in the noise; this app hashes with the production (OWASP) parameters so that the hash
  // dominates the response time, as it does in production.
  let timed: TestApp;
  const email = uniqueEmail("timing");

  beforeAll(async () => {
    timed = await createTestApp({ hasher: {} });
    const registered = await timed.post("/v1/auth/register", { email, password: STRONG_PASSWORD });
    if (registered.statusCode !== 201) throw new Error(`register failed: ${registered.body}`);
  });
  afterAll(() => timed.close());

  async function timeLogin(loginEmail: string): Promise<number> {
    const started = process.hrtime.bigint();
    const response = await timed.post("/v1/auth/login", { email: loginEmail, password: WRONG_PASSWORD });
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    expect(response.statusCode).toBe(401);
    return elapsedMs;
  }

  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  };

  it("takes about as long for an unknown email as for a wrong password", async () => {
    // Warm-up: the first unknown address computes the dummy hash; JIT and caches settle.
    for (let i = 0; i < 2; i++) {
      await timeLogin(uniqueEmail("warm"));
      await timeLogin(email);
    }
    const unknown: number[] = [];
    const wrong: number[] = [];
    // Interleaved, so a burst of load elsewhere on the machine hits both series alike.
    for (let i = 0; i < 7; i++) {
      unknown.push(await timeLogin(uniqueEmail("nobody")));
      wrong.push(await timeLogin(email));
    }
    const ratio = median(unknown) / median(wrong);
    expect(
      ratio,
      `unknown ${unknown.map(Math.round)} ms vs wrong ${wrong.map(Math.round)} ms`,
    ).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });
});
