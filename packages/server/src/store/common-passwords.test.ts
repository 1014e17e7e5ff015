import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { commonPasswordCount, loadCommonPasswords } from "./common-passwords.js";

describe("loadCommonPasswords", () => {
  const isCommonPassword = loadCommonPasswords();

  it("holds at least 100,000 entries of 8 characters or more", () => {
    expect(commonPasswordCount()).toBeGreaterThanOrEqual(100_000);
  });

  it.each(["password1", "Password1", "PASSWORD1", "qwertyuiop"])("knows %s is common", (password) => {
    expect(isCommonPassword(password)).toBe(true);
  });

  it("does not flag a random 20-character string", () => {
    expect(isCommonPassword(randomBytes(15).toString("base64"))).toBe(false);
  });

  it("loads the list only once", () => {
    const start = performance.now();
    loadCommonPasswords();
    expect(performance.now() - start).toBeLessThan(50);
  });
});
