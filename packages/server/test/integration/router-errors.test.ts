/**
 * Invariant: a URL the router itself refuses — a path segment that is not valid percent-encoding,
 * or a path parameter longer than any id — still answers an RFC 9457 problem with a stable
 * `code`, never Fastify's own JSON error shape (API.md "Conventions"). Found by the endpoint
 * fuzzer (`test/fuzz/`).
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import { createSignedInUser, type SignedIn } from "../support/accounts.js";
import { expectProblem } from "../support/problem-assertions.js";
import { createTestApp, type TestApp } from "../support/test-app.js";

describe("router errors", () => {
  let t: TestApp;
  let user: SignedIn;

  beforeAll(async () => {
    t = await createTestApp();
    user = await createSignedInUser(t);
  });
  afterAll(() => t.close());

  it("answers a path parameter longer than any id with 404 not_found", async () => {
    const response = await t.app.inject({
      method: "DELETE",
      url: `/v1/sessions/${"a".repeat(2_000)}`,
      headers: user.headers,
    });
    expectProblem(response, 404, "not_found");
  });

  it("answers a path parameter that is not valid percent-encoding with 400 validation_failed", async () => {
    const response = await t.app.inject({ method: "DELETE", url: "/v1/sessions/%ff", headers: user.headers });
    expectProblem(response, 400, "validation_failed");
  });
});
