/**
 * Invariant: a body nested deeper than any endpoint's schema is refused as 400
 * `validation_failed` before validation, never a 500: the schema validator walks `uniqueItems`
 * arrays recursively, and a few thousand levels of `[` (well under the 16 KiB limit) overflowed
 * its stack (API.md "Conventions"). Found by the endpoint fuzzer (`test/fuzz/`).
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import { createAdmin, type SignedIn } from "../support/accounts.js";
import { expectProblem } from "../support/problem-assertions.js";
import { createTestApp, type TestApp } from "../support/test-app.js";

describe("deeply nested bodies", () => {
  let t: TestApp;
  let admin: SignedIn;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await createAdmin(t);
  });
  afterAll(() => t.close());

  const nested = (depth: number, open = "[", close = "]") => `${open.repeat(depth)}1${close.repeat(depth)}`;

  it.each([
    ["POST", "/v1/api-keys", "scopes"],
    ["POST", "/v1/admin/clients", "scopes"],
    ["PATCH", `/v1/admin/users/00000000-0000-0000-0000-000000000000`, "roles"],
  ] as const)(
    "refuses %s %s with %s nested 5,000 deep as 400 validation_failed",
    async (method, url, field) => {
      const response = await t.app.inject({
        method,
        url,
        headers: { ...admin.headers, "content-type": "application/json" },
        payload: `{"${field}":${nested(5_000)}}`,
      });
      expectProblem(response, 400, "validation_failed");
    },
  );

  it("refuses objects nested deeply as well", async () => {
    const deep = await t.app.inject({
      method: "PATCH",
      url: "/v1/me",
      headers: { ...admin.headers, "content-type": "application/json" },
      payload: `{"name":${nested(2_000, '{"a":', "}")}}`,
    });
    expectProblem(deep, 400, "validation_failed");
  });
});
