/**
 * Invariant: U+0000 never reaches the store. PostgreSQL refuses it in text where SQLite takes
 * it, so an id, a search term or a name holding one was a 500 on PostgreSQL: a path parameter
 * with it names nothing (404 `not_found`), a query value or body string with it is 400
 * `validation_failed` — except a password, which may hold any character and is only ever
 * hashed (API.md "Conventions", "Registration and login"). Found by the endpoint fuzzer
 * (`test/fuzz/`); runs on both stores.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdmin, createSignedInUser, type SignedIn, send } from "../support/accounts.js";
import { expectProblem } from "../support/problem-assertions.js";
import { createTestApp, STRONG_PASSWORD, type TestApp, uniqueEmail } from "../support/test-app.js";

describe("U+0000 in requests", () => {
  let t: TestApp;
  let user: SignedIn;
  let admin: SignedIn;

  beforeAll(async () => {
    t = await createTestApp();
    user = await createSignedInUser(t);
    admin = await createAdmin(t);
  });
  afterAll(() => t.close());

  it("answers a path parameter holding U+0000 with 404 not_found, on every store", async () => {
    for (const url of ["/v1/sessions/%00", "/v1/api-keys/a%00b", "/v1/me/identities/%00"]) {
      const response = await t.app.inject({ method: "DELETE", url, headers: user.headers });
      expectProblem(response, 404, "not_found");
    }
    const response = await t.app.inject({
      method: "GET",
      url: "/v1/admin/users/%00",
      headers: admin.headers,
    });
    expectProblem(response, 404, "not_found");
  });

  it("answers a query value holding U+0000 with 400 validation_failed", async () => {
    const response = await t.app.inject({
      method: "GET",
      url: "/v1/admin/users?q=a%00b",
      headers: admin.headers,
    });
    expectProblem(response, 400, "validation_failed");
  });

  it("answers a body string holding U+0000 with 400 validation_failed", async () => {
    const cases: Array<[string, Record<string, string>, unknown]> = [
      ["/v1/auth/register", {}, { email: uniqueEmail(), password: STRONG_PASSWORD, name: "a\u0000b" }],
      ["/v1/api-keys", user.headers, { name: "\u0000" }],
    ];
    for (const [url, headers, body] of cases)
      expectProblem(await send(t, "POST", url, headers, body), 400, "validation_failed");
    expectProblem(
      await send(t, "PATCH", "/v1/me", user.headers, { name: "a\u0000b" }),
      400,
      "validation_failed",
    );
  });

  it("still takes a password holding U+0000", async () => {
    const email = uniqueEmail();
    const password = `${STRONG_PASSWORD}\u0000x`;
    expect((await send(t, "POST", "/v1/auth/register", {}, { email, password })).statusCode).toBe(201);
    expect((await send(t, "POST", "/v1/auth/login", {}, { email, password })).statusCode).toBe(200);
    expect(
      (await send(t, "POST", "/v1/auth/login", {}, { email, password: STRONG_PASSWORD })).statusCode,
    ).toBe(401);
  });
});
