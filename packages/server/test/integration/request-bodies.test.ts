/**
 * Invariant: a request body reaches the application only as the JSON object its endpoint
 * declares. Anything else is refused with a problem that names it — unknown properties (mass
 * assignment of `roles`) and `__proto__`/`constructor` keys are 400 `validation_failed` and
 * pollute nothing, operator objects are 400, other media types 415, bodies over 16 KiB 413,
 * broken JSON 400 `malformed_body` — and no input at all yields a 5xx. Passwords are 8–256 code
 * points, never truncated, never common; email addresses are one account per NFKC/case-folded
 * address, and an address that normalises into two `@` is refused (API.md "Conventions",
 * "Registration and login"; security.md §2.7 item 27, §2.8 items 31–35).
 */
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "../support/problem-assertions.js";
import {
  bearer,
  createTestApp,
  STRONG_PASSWORD,
  type TestApp,
  type TokenResponseBody,
  uniqueEmail,
} from "../support/test-app.js";

/** Maps printable ASCII (but `@`) to its fullwidth form (U+FF01…U+FF5E), which NFKC maps back. */
function fullwidth(text: string): string {
  return [...text]
    .map((char) => {
      const code = char.codePointAt(0) ?? 0;
      return code >= 0x21 && code <= 0x7e && char !== "@" ? String.fromCodePoint(code - 0x21 + 0xff01) : char;
    })
    .join("");
}

describe("request bodies", () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  /** POST (or `method`) with the payload exactly as given; `contentType: null` sends none. */
  const raw = (
    url: string,
    payload: string | Buffer,
    contentType: string | null = "application/json",
    headers: Record<string, string> = {},
    method: "POST" | "PATCH" = "POST",
  ) =>
    t.app.inject({
      method,
      url,
      payload,
      headers: contentType === null ? headers : { "content-type": contentType, ...headers },
    });

  const usersWithEmail = async (email: string) =>
    (await t.database.db.selectFrom("users").select("id").where("email", "=", email).execute()).length;

  const register = (email: string, password: string) => t.post("/v1/auth/register", { email, password });

  describe("unknown properties and mass assignment", () => {
    it.each([
      ["roles", ["admin"]],
      ["role", "admin"],
      ["emailVerified", true],
      ["id", "00000000-0000-0000-0000-000000000000"],
      ["disabled", false],
    ])(
      "refuses a registration carrying %s with 400 validation_failed and creates no user",
      async (key, value) => {
        const email = uniqueEmail("mass");
        const response = await t.post("/v1/auth/register", {
          email,
          password: STRONG_PASSWORD,
          [key]: value,
        });
        expectProblem(response, 400, "validation_failed");
        expect(await usersWithEmail(email)).toBe(0);
      },
    );

    it("refuses roles in a profile update and leaves the roles as they were", async () => {
      const session = await t.signUp();
      const response = await raw(
        "/v1/me",
        JSON.stringify({ name: "Mallory", roles: ["admin"] }),
        "application/json",
        bearer(session.accessToken),
        "PATCH",
      );
      expectProblem(response, 400, "validation_failed");
      const me = await t.get("/v1/me", bearer(session.accessToken));
      expect(me.json<{ user: { roles: string[]; name: string | null } }>().user).toMatchObject({
        roles: session.user.roles,
        name: null,
      });
    });
  });

  describe("prototype pollution", () => {
    const pollutingBodies = (email: string): Array<[string, string]> => {
      const base = `"email":${JSON.stringify(email)},"password":${JSON.stringify(STRONG_PASSWORD)}`;
      return [
        ["a top-level __proto__", `{${base},"__proto__":{"polluted":"yes","roles":["admin"]}}`],
        ["a top-level constructor", `{${base},"constructor":{"prototype":{"polluted":"yes"}}}`],
        ["a nested __proto__", `{${base},"name":{"__proto__":{"polluted":"yes"}}}`],
        ["a nested constructor", `{${base},"extra":[{"constructor":{"prototype":{"polluted":"yes"}}}]}`],
        ["a __proto__ first, before the fields", `{"__proto__":{"polluted":"yes"},${base}}`],
      ];
    };

    it("refuses __proto__ and constructor keys on register with 400 validation_failed, polluting nothing", async () => {
      for (const [name, body] of pollutingBodies(uniqueEmail("proto"))) {
        const response = await raw("/v1/auth/register", body);
        expect({ name, status: response.statusCode }).toEqual({ name, status: 400 });
        expectProblem(response, 400, "validation_failed");
      }
      expect(Object.prototype).not.toHaveProperty("polluted");
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(({} as Record<string, unknown>).roles).toBeUndefined();
    });

    it("creates no user from a body that carried __proto__", async () => {
      const email = uniqueEmail("proto-user");
      for (const [, body] of pollutingBodies(email)) await raw("/v1/auth/register", body);
      expect(await usersWithEmail(email)).toBe(0);
    });

    it("refuses __proto__ and constructor keys on login with 400 validation_failed, polluting nothing", async () => {
      const email = uniqueEmail("proto-login");
      await t.signUp(email);
      for (const [name, body] of pollutingBodies(email)) {
        const response = await raw("/v1/auth/login", body);
        expect({ name, status: response.statusCode }).toEqual({ name, status: 400 });
        expectProblem(response, 400, "validation_failed");
      }
      expect(Object.prototype).not.toHaveProperty("polluted");
    });

    it("accepts values that merely mention __proto__ or constructor", async () => {
      const response = await t.post("/v1/auth/register", {
        email: uniqueEmail("proto-fan"),
        password: STRONG_PASSWORD,
        name: "__proto__ constructor prototype",
      });
      expect(response.statusCode, response.body).toBe(201);
    });
  });

  describe("operator injection", () => {
    it.each([
      ["a password operator object", { password: { $ne: null } }],
      ["an email operator object", { email: { $gt: "" }, password: "anything-at-all" }],
      ["a password array", { password: ["a", "b"] }],
    ])("refuses %s on login with 400 validation_failed", async (_name, body) => {
      const email = uniqueEmail("nosql");
      await t.signUp(email);
      const response = await t.post("/v1/auth/login", { email, ...body });
      expectProblem(response, 400, "validation_failed");
    });
  });

  describe("media types and sizes", () => {
    const body = () => JSON.stringify({ email: uniqueEmail("media"), password: STRONG_PASSWORD });

    it.each([
      ["text/plain", "text/plain"],
      ["form-urlencoded", "application/x-www-form-urlencoded"],
      ["multipart", "multipart/form-data; boundary=x"],
      ["no content type", null],
    ])("refuses a JSON body sent as %s with 415 unsupported_media_type", async (_name, contentType) => {
      expectProblem(await raw("/v1/auth/register", body(), contentType), 415, "unsupported_media_type");
    });

    it("refuses a form-encoded login with 415 unsupported_media_type", async () => {
      const form = `email=${encodeURIComponent(uniqueEmail())}&password=${encodeURIComponent(STRONG_PASSWORD)}`;
      expectProblem(
        await raw("/v1/auth/login", form, "application/x-www-form-urlencoded"),
        415,
        "unsupported_media_type",
      );
    });

    it("accepts application/json; charset=utf-8", async () => {
      const response = await raw("/v1/auth/register", body(), "application/json; charset=utf-8");
      expect(response.statusCode, response.body).toBe(201);
    });

    it("refuses a 17 KiB body with 413 payload_too_large", async () => {
      const big = JSON.stringify({
        email: uniqueEmail(),
        password: STRONG_PASSWORD,
        name: "x".repeat(17 * 1024),
      });
      expect(Buffer.byteLength(big)).toBeGreaterThan(16 * 1024);
      expectProblem(await raw("/v1/auth/register", big), 413, "payload_too_large");
    });

    it("accepts a body just under 16 KiB as far as the size goes", async () => {
      // Padding in a property that exists, so only the size is tested: the name is then too long (400), not 413.
      const padded = JSON.stringify({
        email: uniqueEmail(),
        password: STRONG_PASSWORD,
        name: "x".repeat(15 * 1024),
      });
      const response = await raw("/v1/auth/register", padded);
      expect(response.statusCode).not.toBe(413);
      expect(response.statusCode).toBeLessThan(500);
    });

    it.each([
      ["truncated JSON", '{"email":'],
      ["a trailing comma", '{"email":"a@example.com",}'],
      ["single quotes", "{'email':'a@example.com'}"],
      ["an empty body", ""],
      ["only whitespace", "   "],
    ])("refuses %s with 400 malformed_body", async (_name, payload) => {
      expectProblem(await raw("/v1/auth/register", payload), 400, "malformed_body");
      expectProblem(await raw("/v1/auth/login", payload), 400, "malformed_body");
    });

    it("answers every error as problem JSON with type, title, status and code, and no stack", async () => {
      const responses: LightMyRequestResponse[] = [
        await raw("/v1/auth/register", "{", "application/json"),
        await raw("/v1/auth/register", "{}", "text/plain"),
        await raw("/v1/auth/register", JSON.stringify({ nope: 1 })),
        await t.post("/v1/auth/login", { email: uniqueEmail(), password: "whatever-it-is" }),
        await t.get("/v1/me", bearer("garbage")),
        await t.get("/v1/no-such-route"),
      ];
      for (const response of responses) {
        expect(response.statusCode).toBeGreaterThanOrEqual(400);
        expect(response.headers["content-type"]).toMatch(/^application\/problem\+json\b/);
        const problem = response.json<Record<string, unknown>>();
        expect(problem).toEqual(
          expect.objectContaining({
            type: expect.any(String),
            title: expect.any(String),
            status: response.statusCode,
            code: expect.stringMatching(/^[a-z]+(_[a-z]+)*$/),
          }),
        );
        expect(problem).not.toHaveProperty("stack");
        expect(response.body).not.toMatch(/node_modules|\.ts:\d+|\.js:\d+|at [A-Za-z.]+ \(/);
      }
    });
  });

  describe("password rules", () => {
    it.each([
      ["7 characters", "Qz7#kLm", 400],
      ["8 characters", "Qz7#kLmP", 201],
      ["256 characters", "Qz7#kLmP".repeat(32), 201],
      ["257 characters", `${"Qz7#kLmP".repeat(32)}x`, 400],
      ["256 emoji (512 UTF-16 units)", "🦊".repeat(256), 201],
      ["257 emoji", "🦊".repeat(257), 400],
    ])("answers a password of %s with %i", async (_name, password, status) => {
      const response = await register(uniqueEmail("length"), password);
      if (status === 201) {
        expect(response.statusCode, response.body).toBe(201);
      } else {
        const problem = expectProblem(response, 400, "weak_password");
        expect(problem.errors?.length).toBeGreaterThan(0);
      }
    });

    it("lets a 256-code-point password sign in", async () => {
      const email = uniqueEmail("long");
      const password = "🦊".repeat(128) + "Qz7#kLmP".repeat(16);
      expect((await register(email, password)).statusCode).toBe(201);
      expect((await t.post("/v1/auth/login", { email, password })).statusCode).toBe(200);
    });

    it("treats two passwords sharing their first 72 bytes as different passwords", async () => {
      const prefix = "a1B2".repeat(18);
      expect(Buffer.byteLength(prefix)).toBe(72);
      const email = uniqueEmail("bcrypt");
      expect((await register(email, `${prefix}-first-ending`)).statusCode).toBe(201);
      expectProblem(
        await t.post("/v1/auth/login", { email, password: `${prefix}-second-ending` }),
        401,
        "invalid_credentials",
      );
      expectProblem(await t.post("/v1/auth/login", { email, password: prefix }), 401, "invalid_credentials");
      expect((await t.post("/v1/auth/login", { email, password: `${prefix}-first-ending` })).statusCode).toBe(
        200,
      );
    });

    it("does not cut a password at a NUL character", async () => {
      const email = uniqueEmail("nul");
      expect((await register(email, "Strong-pass\u0000one")).statusCode).toBe(201);
      expectProblem(
        await t.post("/v1/auth/login", { email, password: "Strong-pass\u0000two" }),
        401,
        "invalid_credentials",
      );
      expectProblem(
        await t.post("/v1/auth/login", { email, password: "Strong-pass" }),
        401,
        "invalid_credentials",
      );
      expect((await t.post("/v1/auth/login", { email, password: "Strong-pass\u0000one" })).statusCode).toBe(
        200,
      );
    });

    it("refuses a common password with 400 weak_password whose errors name the reason", async () => {
      const problem = expectProblem(
        await register(uniqueEmail("common"), "password123"),
        400,
        "weak_password",
      );
      expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ code: "common" })]));
      expect(problem.errors?.every((error) => error.pointer === "/password" && error.detail.length > 0)).toBe(
        true,
      );
    });

    it("names a too-short password as too short", async () => {
      const problem = expectProblem(await register(uniqueEmail("short"), "Qz7#kLm"), 400, "weak_password");
      expect(problem.errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ code: "too_short" })]),
      );
    });
  });

  describe("email identity", () => {
    it("answers a second registration of the same address in other case or spacing with 409 email_taken", async () => {
      const email = uniqueEmail("dup");
      expect((await register(email, STRONG_PASSWORD)).statusCode).toBe(201);
      expectProblem(await register(`  ${email.toUpperCase()} `, STRONG_PASSWORD), 409, "email_taken");
    });

    it("answers a second registration of the same address in fullwidth characters with 409 email_taken", async () => {
      const email = uniqueEmail("dup-nfkc");
      expect((await register(email, STRONG_PASSWORD)).statusCode).toBe(201);
      expectProblem(await register(fullwidth(email), STRONG_PASSWORD), 409, "email_taken");
      expect(await usersWithEmail(email)).toBe(1);
    });

    it.each([
      ["a fullwidth @ after a real one", "victim@example.com\uFF20attacker.test"],
      ["two fullwidth @", "victim\uFF20example.com\uFF20attacker.test"],
      ["two @", "victim@example.com@attacker.test"],
      ["a comma-joined pair", "attacker@example.com,victim@example.com"],
      ["a quoted local part with @", '"attacker@evil.test"@example.com'],
      ["no @ at all", "victim.example.com"],
    ])("refuses an address with %s with 400", async (_name, email) => {
      const response = await register(email, STRONG_PASSWORD);
      expectProblem(response, 400, "validation_failed");
    });
  });

  describe("odd inputs never yield a 5xx", () => {
    const deepArray = `${"[".repeat(3000)}${"]".repeat(3000)}`;
    const deepObject = `${'{"a":'.repeat(1500)}1${"}".repeat(1500)}`;
    const payloads: Array<string | Buffer> = [
      deepArray,
      deepObject,
      `{"email":${deepArray},"password":"x"}`,
      "1e400",
      "-0",
      "123456789012345678901234567890123456789",
      '{"email":1e400,"password":-1e400,"name":1e400}',
      '{"refreshToken":123456789012345678901234567890,"currentPassword":1e308,"newPassword":1e-400}',
      "null",
      "true",
      '"a string"',
      "[]",
      '[{"email":"a@example.com","password":"violet-Umbrella-73-quarry"}]',
      "{}",
      '{"email":"\\u0000","password":"\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000"}',
      '{"email":"a@example.com\\u0000evil@example.net","password":"abcdefgh\\u0000ijk"}',
      '{"email":"\\ud800@example.com","password":"\\udfff\\ud800-lone-surrogates"}',
      '{"email":"ad\\u200bmin@example.com","password":"p\\u202eword-rtl-zero-width","name":"\\u202e\\u0301"}',
      '{"email":"\\u0130stanbul@EXAMPLE.COM","password":"\\ufb01\\ufb02\\u00c5\\u212b-ligatures"}',
      '{"email":"e\\u0301@example.com","password":"combining-\\u0301\\u0301\\u0301\\u0301"}',
      '{"email":[],"password":{}}',
      '{"email":null,"password":null,"name":null}',
      '{"email":{"$gt":""},"password":{"$ne":null}}',
      '{"refreshToken":null}',
      `{"refreshToken":"${"A".repeat(12000)}"}`,
      '{"refreshToken":["a"],"rememberMe":"yes","transport":"cookie"}',
      `{"name":"${"n".repeat(300)}"}`,
      '{"name":{"first":"a"}}',
      '{"currentPassword":"","newPassword":""}',
      '{"currentPassword":[],"newPassword":{"a":1}}',
      '{"email":"a@example.com","email":"b@example.com","password":"x","password":"violet-Umbrella-73-quarry"}',
      "\uFEFF{}",
      Buffer.from([0x7b, 0x22, 0x65, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
      Buffer.from([0xc0, 0x80]),
    ];

    it("answers every POST endpoint below 500, with problem JSON for every error", async () => {
      let session: TokenResponseBody = await t.signUp();
      const endpoints: Array<{ method: "POST" | "PATCH"; url: string; authenticated: boolean }> = [
        { method: "POST", url: "/v1/auth/register", authenticated: false },
        { method: "POST", url: "/v1/auth/login", authenticated: false },
        { method: "POST", url: "/v1/auth/refresh", authenticated: false },
        { method: "POST", url: "/v1/auth/logout", authenticated: true },
        { method: "POST", url: "/v1/auth/logout-all", authenticated: true },
        { method: "POST", url: "/v1/me/password", authenticated: true },
        { method: "PATCH", url: "/v1/me", authenticated: true },
      ];
      const failures: string[] = [];
      for (const endpoint of endpoints) {
        for (const payload of payloads) {
          const headers = endpoint.authenticated ? bearer(session.accessToken) : {};
          const response = await raw(endpoint.url, payload, "application/json", headers, endpoint.method);
          const label = `${endpoint.method} ${endpoint.url} ${String(payload).slice(0, 60)} → ${response.statusCode}`;
          if (response.statusCode >= 500) failures.push(`${label} ${response.body}`);
          if (
            response.statusCode >= 400 &&
            !/^application\/problem\+json/.test(String(response.headers["content-type"]))
          ) {
            failures.push(`${label} not problem JSON`);
          }
          // A valid logout ends the session the next payloads would use.
          if (endpoint.url.startsWith("/v1/auth/logout") && response.statusCode === 204)
            session = await t.signUp();
        }
      }
      expect(failures).toEqual([]);
    });
  });
});
