/**
 * Invariant: password guessing is throttled per account and client address, and public
 * endpoints per client address, without letting anyone lock a victim out from elsewhere. With
 * PORTCULLIS_LOGIN_RATE_LIMIT=3/15m, after three failures from one address even the right
 * password answers 429 `rate_limited` with a numeric `Retry-After`, while the same account still
 * signs in from another address; unknown emails are throttled alike. The client address is the
 * socket's unless PORTCULLIS_TRUST_PROXY says to believe `X-Forwarded-For`, so a spoofed header
 * never evades a limit (API.md "Configuration the tests rely on", "Conventions"; ASVS 6.3.1).
 */
import { afterEach, describe, expect, it } from "vitest";
import { expectProblem } from "../support/problem-assertions.js";
import { createTestApp, STRONG_PASSWORD, type TestApp, uniqueEmail } from "../support/test-app.js";

const WRONG_PASSWORD = "not-the-Right-one-41";

function expectRateLimited(response: Awaited<ReturnType<TestApp["post"]>>): void {
  expectProblem(response, 429, "rate_limited");
  const retryAfter = String(response.headers["retry-after"]);
  expect(retryAfter).toMatch(/^\d+$/);
  expect(Number(retryAfter)).toBeGreaterThan(0);
}

describe("rate limits", () => {
  const apps: TestApp[] = [];
  const open = async (env: Record<string, string>) => {
    const t = await createTestApp({ env });
    apps.push(t);
    return t;
  };
  afterEach(async () => {
    while (apps.length > 0) await apps.pop()?.close();
  });

  const login = (t: TestApp, email: string, password: string, remoteAddress: string, headers = {}) =>
    t.app.inject({
      method: "POST",
      url: "/v1/auth/login",
      payload: { email, password },
      remoteAddress,
      headers,
    });

  const register = (t: TestApp, remoteAddress: string, headers = {}) =>
    t.app.inject({
      method: "POST",
      url: "/v1/auth/register",
      payload: { email: uniqueEmail("limited"), password: STRONG_PASSWORD },
      remoteAddress,
      headers,
    });

  describe("failed logins (PORTCULLIS_LOGIN_RATE_LIMIT=3/15m)", () => {
    const env = { PORTCULLIS_LOGIN_RATE_LIMIT: "3/15m" };

    it("answers the fourth attempt from one address with 429 and Retry-After, even with the right password", async () => {
      const t = await open(env);
      const email = uniqueEmail();
      await t.signUp(email);
      for (let i = 0; i < 3; i++) {
        expectProblem(await login(t, email, WRONG_PASSWORD, "198.51.100.10"), 401, "invalid_credentials");
      }
      expectRateLimited(await login(t, email, STRONG_PASSWORD, "198.51.100.10"));
    });

    it("lets the same account sign in from another address meanwhile", async () => {
      const t = await open(env);
      const email = uniqueEmail();
      await t.signUp(email);
      for (let i = 0; i < 3; i++) await login(t, email, WRONG_PASSWORD, "198.51.100.11");
      expectRateLimited(await login(t, email, STRONG_PASSWORD, "198.51.100.11"));

      const elsewhere = await login(t, email, STRONG_PASSWORD, "198.51.100.12");
      expect(elsewhere.statusCode, elsewhere.body).toBe(200);
    });

    it("does not count successful logins as failures", async () => {
      const t = await open(env);
      const email = uniqueEmail();
      await t.signUp(email);
      for (let i = 0; i < 5; i++) {
        expect((await login(t, email, STRONG_PASSWORD, "198.51.100.13")).statusCode).toBe(200);
      }
    });

    it("throttles an unknown email the same way", async () => {
      const t = await open(env);
      const email = uniqueEmail("nobody");
      for (let i = 0; i < 3; i++) {
        expectProblem(await login(t, email, WRONG_PASSWORD, "198.51.100.14"), 401, "invalid_credentials");
      }
      expectRateLimited(await login(t, email, WRONG_PASSWORD, "198.51.100.14"));
    });

    it("limits one client address across accounts at 50× the per-account limit, without touching other addresses", async () => {
      const t = await open({ PORTCULLIS_LOGIN_RATE_LIMIT: "1/15m" });
      for (let i = 0; i < 50; i++) {
        const response = await login(t, uniqueEmail("spray"), WRONG_PASSWORD, "198.51.100.50");
        expect(response.statusCode).toBe(401);
      }
      expectRateLimited(await login(t, uniqueEmail("spray"), WRONG_PASSWORD, "198.51.100.50"));
      expect((await login(t, uniqueEmail("spray"), WRONG_PASSWORD, "198.51.100.51")).statusCode).toBe(401);
    });

    it("counts the account across spellings of its address", async () => {
      const t = await open(env);
      const email = uniqueEmail();
      await t.signUp(email);
      for (const variant of [email, email.toUpperCase(), ` ${email} `]) {
        expectProblem(await login(t, variant, WRONG_PASSWORD, "198.51.100.15"), 401, "invalid_credentials");
      }
      expectRateLimited(await login(t, email, STRONG_PASSWORD, "198.51.100.15"));
    });
  });

  describe("public endpoints (PORTCULLIS_RATE_LIMIT=2/1m)", () => {
    it("answers the third registration from one address with 429 and Retry-After", async () => {
      const t = await open({ PORTCULLIS_RATE_LIMIT: "2/1m" });
      expect((await register(t, "198.51.100.20")).statusCode).toBe(201);
      expect((await register(t, "198.51.100.20")).statusCode).toBe(201);
      expectRateLimited(await register(t, "198.51.100.20"));
      expect((await register(t, "198.51.100.21")).statusCode).toBe(201);
    });
  });

  describe("client address behind proxies", () => {
    it("with PORTCULLIS_TRUST_PROXY=1, lets X-Forwarded-For decide the address", async () => {
      const t = await open({ PORTCULLIS_RATE_LIMIT: "2/1m", PORTCULLIS_TRUST_PROXY: "1" });
      const proxy = "10.0.0.1";
      const from = (client: string) => ({ "x-forwarded-for": client });
      expect((await register(t, proxy, from("203.0.113.7"))).statusCode).toBe(201);
      expect((await register(t, proxy, from("203.0.113.7"))).statusCode).toBe(201);
      expectRateLimited(await register(t, proxy, from("203.0.113.7")));
      // Another client behind the same proxy has its own budget.
      expect((await register(t, proxy, from("203.0.113.8"))).statusCode).toBe(201);
    });

    it("with PORTCULLIS_TRUST_PROXY=1, throttles failed logins per forwarded address", async () => {
      const t = await open({ PORTCULLIS_LOGIN_RATE_LIMIT: "3/15m", PORTCULLIS_TRUST_PROXY: "1" });
      const email = uniqueEmail();
      await t.signUp(email);
      const from = (client: string) => ({ "x-forwarded-for": client });
      for (let i = 0; i < 3; i++) await login(t, email, WRONG_PASSWORD, "10.0.0.1", from("203.0.113.9"));
      expectRateLimited(await login(t, email, STRONG_PASSWORD, "10.0.0.1", from("203.0.113.9")));
      expect((await login(t, email, STRONG_PASSWORD, "10.0.0.1", from("203.0.113.10"))).statusCode).toBe(200);
    });

    it("by default ignores X-Forwarded-For, so a spoofed header does not evade the register limit", async () => {
      const t = await open({ PORTCULLIS_RATE_LIMIT: "2/1m" });
      expect((await register(t, "198.51.100.30", { "x-forwarded-for": "203.0.113.1" })).statusCode).toBe(201);
      expect((await register(t, "198.51.100.30", { "x-forwarded-for": "203.0.113.2" })).statusCode).toBe(201);
      expectRateLimited(await register(t, "198.51.100.30", { "x-forwarded-for": "203.0.113.3" }));
    });

    it("by default ignores X-Forwarded-For, so a spoofed header does not evade the login limit", async () => {
      const t = await open({ PORTCULLIS_LOGIN_RATE_LIMIT: "3/15m" });
      const email = uniqueEmail();
      await t.signUp(email);
      for (let i = 0; i < 3; i++) {
        await login(t, email, WRONG_PASSWORD, "198.51.100.31", { "x-forwarded-for": `203.0.113.${40 + i}` });
      }
      expectRateLimited(
        await login(t, email, STRONG_PASSWORD, "198.51.100.31", { "x-forwarded-for": "203.0.113.99" }),
      );
    });
  });
});
