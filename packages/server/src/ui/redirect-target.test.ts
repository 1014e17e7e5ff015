import { describe, expect, it } from "vitest";
import { createRedirectTargets } from "./redirect-target.js";

describe("createRedirectTargets", () => {
  const targets = createRedirectTargets("https://auth.example.com", ["https://app.example.com/account"]);

  it("admits this origin's paths, relative or absolute", () => {
    expect(targets.allowed("/account?tab=devices")).toBe("https://auth.example.com/account?tab=devices");
    expect(targets.allowed("https://auth.example.com/admin")).toBe("https://auth.example.com/admin");
  });

  it("admits the allow-list at a path boundary only", () => {
    expect(targets.allowed("https://app.example.com/account/x")).toBe("https://app.example.com/account/x");
    expect(targets.allowed("https://app.example.com/accounting")).toBeNull();
  });

  it.each([
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example",
    "javascript:alert(1)",
    "https://auth.example.com@evil.example/",
    "https://auth.example.com/a%2Fb",
    "",
    undefined,
  ])("refuses %s and lands on the account instead", (candidate) => {
    expect(targets.allowed(candidate)).toBeNull();
    expect(targets.afterSignIn(candidate)).toBe("https://auth.example.com/account");
  });

  it("lists the origins forms may lead to", () => {
    expect(targets.formOrigins).toEqual(["https://auth.example.com", "https://app.example.com"]);
  });
});
