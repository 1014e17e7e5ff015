import { describe, expect, it } from "vitest";
import { createCsrfTokens, deriveCsrfKey } from "./csrf-token.js";

describe("CSRF tokens", () => {
  const csrf = createCsrfTokens(deriveCsrfKey("a-test-secret-with-enough-entropy-0123456789"));

  it("verifies a token for the session it was issued to", () => {
    expect(csrf.verify(csrf.issue("session-a"), "session-a")).toBe(true);
  });

  it("refuses a token of another session, of no session, or forged", () => {
    const token = csrf.issue("session-a");
    expect(csrf.verify(token, "session-b")).toBe(false);
    expect(csrf.verify(csrf.issue(null), "session-a")).toBe(false);
    const [nonce] = token.split(".");
    expect(csrf.verify(`${nonce}.${"A".repeat(43)}`, "session-a")).toBe(false);
    expect(csrf.verify("", "session-a")).toBe(false);
    expect(csrf.verify(`${token}x`, "session-a")).toBe(false);
  });

  it("refuses a token signed with a key from another secret", () => {
    const other = createCsrfTokens(deriveCsrfKey("another-secret-with-enough-entropy-987654321"));
    expect(csrf.verify(other.issue("session-a"), "session-a")).toBe(false);
  });

  it("issues a different token every time", () => {
    expect(csrf.issue("session-a")).not.toBe(csrf.issue("session-a"));
  });
});
