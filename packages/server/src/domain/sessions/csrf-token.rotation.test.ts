/** Secret rotation for CSRF tokens: issued with the current key, verified with it or a previous one. */
import { describe, expect, it } from "vitest";
import { createCsrfTokens, deriveCsrfKey } from "./csrf-token.js";

const OLD = deriveCsrfKey("old-secret-0123456789-abcdefghijklmnopqrstuv");
const NEW = deriveCsrfKey("new-secret-9876543210-zyxwvutsrqponmlkjihgfe");

describe("createCsrfTokens › previous keys", () => {
  it("verifies a token issued under the previous secret, for its session only", () => {
    const issuedBefore = createCsrfTokens(OLD).issue("session-1");
    const rotated = createCsrfTokens(NEW, undefined, [OLD]);

    expect(rotated.verify(issuedBefore, "session-1")).toBe(true);
    expect(rotated.verify(issuedBefore, "session-2")).toBe(false);
  });

  it("issues with the current key: a server with the new secret alone verifies it", () => {
    const token = createCsrfTokens(NEW, undefined, [OLD]).issue("session-1");
    expect(createCsrfTokens(NEW).verify(token, "session-1")).toBe(true);
    expect(createCsrfTokens(OLD).verify(token, "session-1")).toBe(false);
  });

  it("refuses a token of the old secret once the previous key is gone", () => {
    const issuedBefore = createCsrfTokens(OLD).issue("session-1");
    expect(createCsrfTokens(NEW).verify(issuedBefore, "session-1")).toBe(false);
  });
});
