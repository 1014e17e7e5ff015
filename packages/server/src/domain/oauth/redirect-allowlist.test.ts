/**
 * `redirectTo` is an open-redirect vector (security.md §2.6 item 24: Better Auth, next-auth,
 * Keycloak, Django and Feathers all shipped bypasses). Invariant: after normalisation, a target
 * is allowed only when its scheme, host and port equal an entry's and its path lies inside the
 * entry's prefix at a `/` boundary; anything parsers could read two ways is refused.
 */
import { describe, expect, it } from "vitest";
import { createRedirectAllowlist, describeAllowlistEntryProblem, withQuery } from "./redirect-allowlist.js";

const allowlist = createRedirectAllowlist([
  "https://app.example.com/account",
  "http://localhost:5173",
  "https://bücher.example/shop/",
]);

describe("redirect allow-list › scheme, host and port", () => {
  it("allows the exact origin and path prefix", () => {
    expect(allowlist.match("https://app.example.com/account")).toBe("https://app.example.com/account");
    expect(allowlist.match("https://app.example.com/account/done?x=1")).toBe(
      "https://app.example.com/account/done?x=1",
    );
  });

  it("refuses another scheme for the same host", () => {
    expect(allowlist.match("http://app.example.com/account")).toBeNull();
    expect(allowlist.match("javascript:alert(1)//https://app.example.com/account")).toBeNull();
    expect(allowlist.match("data:text/html,https://app.example.com/account")).toBeNull();
  });

  it("refuses another port, and treats the default port as no port", () => {
    expect(allowlist.match("https://app.example.com:8443/account")).toBeNull();
    expect(allowlist.match("https://app.example.com:443/account")).toBe("https://app.example.com/account");
    expect(allowlist.match("http://localhost:5174/")).toBeNull();
    expect(allowlist.match("http://localhost/")).toBeNull();
  });

  it("refuses look-alike and suffix hosts", () => {
    expect(allowlist.match("https://app.example.com.evil.example/account")).toBeNull();
    expect(allowlist.match("https://evilapp.example.com/account")).toBeNull();
    expect(allowlist.match("https://app.example.com./account")).toBeNull();
  });

  it("compares hosts case-insensitively and IDN hosts by their punycode form", () => {
    expect(allowlist.match("HTTPS://APP.EXAMPLE.COM/account")).toBe("https://app.example.com/account");
    expect(allowlist.match("https://BÜCHER.example/shop/cart")).toBe(
      "https://xn--bcher-kva.example/shop/cart",
    );
    expect(allowlist.match("https://xn--bcher-kva.example/shop/")).toBe(
      "https://xn--bcher-kva.example/shop/",
    );
    // Cyrillic "а" in "аpp" is another host altogether.
    expect(allowlist.match("https://аpp.example.com/account")).toBeNull();
  });

  it("refuses user-info, which moves the real host after the @", () => {
    expect(allowlist.match("https://app.example.com@evil.example/account")).toBeNull();
    expect(allowlist.match("https://app.example.com:pw@evil.example/account")).toBeNull();
    expect(allowlist.match("https://user@app.example.com/account")).toBeNull();
  });

  it("refuses relative and protocol-relative targets", () => {
    expect(allowlist.match("/account")).toBeNull();
    expect(allowlist.match("//evil.example/account")).toBeNull();
    expect(allowlist.match("https:evil.example/account")).toBeNull();
    expect(allowlist.match("")).toBeNull();
  });
});

describe("redirect allow-list › path prefix", () => {
  it("allows the prefix only at a / boundary", () => {
    expect(allowlist.match("https://app.example.com/accounting")).toBeNull();
    expect(allowlist.match("https://app.example.com/account-settings")).toBeNull();
    expect(allowlist.match("https://app.example.com/")).toBeNull();
    expect(allowlist.match("https://app.example.com/account/")).toBe("https://app.example.com/account/");
  });

  it("normalises dot segments before comparing, so .. cannot climb out", () => {
    expect(allowlist.match("https://app.example.com/account/../admin")).toBeNull();
    expect(allowlist.match("https://app.example.com/account/./x/../y")).toBe(
      "https://app.example.com/account/y",
    );
    expect(allowlist.match("https://app.example.com/account/%2e%2e/admin")).toBeNull();
    expect(allowlist.match("https://app.example.com/account/.%2E/admin")).toBeNull();
  });

  it("refuses encoded slashes, backslashes, dots and double encoding in the path", () => {
    expect(allowlist.match("https://app.example.com/account%2f..%2fadmin")).toBeNull();
    expect(allowlist.match("https://app.example.com/account/..%2Fadmin")).toBeNull();
    expect(allowlist.match("https://app.example.com/account/%5c..%5cadmin")).toBeNull();
    expect(allowlist.match("https://app.example.com/account/%252e%252e/admin")).toBeNull();
  });

  it("refuses backslashes, whitespace and control characters anywhere", () => {
    expect(allowlist.match("https://app.example.com\\@evil.example/account")).toBeNull();
    expect(allowlist.match("https:\\\\evil.example/account")).toBeNull();
    expect(allowlist.match("https://app.example.com/account\\..\\admin")).toBeNull();
    expect(allowlist.match("https://app.exa\tmple.com/account")).toBeNull();
    expect(allowlist.match("https://app.example.com/account\n")).toBeNull();
    expect(allowlist.match(" https://app.example.com/account")).toBeNull();
    expect(allowlist.match("https://app.example.com/account/\u2028x")).toBeNull();
    expect(allowlist.match("https://app.example.com/account/\u0000")).toBeNull();
  });

  it("keeps the query, and an origin-only entry allows every path", () => {
    expect(allowlist.match("http://localhost:5173/any/where?next=%2Fx")).toBe(
      "http://localhost:5173/any/where?next=%2Fx",
    );
  });

  it("refuses over-long targets", () => {
    expect(allowlist.match(`https://app.example.com/account/${"a".repeat(2100)}`)).toBeNull();
  });
});

describe("redirect allow-list › entries and defaults", () => {
  it("uses the first entry as the default target", () => {
    expect(allowlist.defaultTarget).toBe("https://app.example.com/account");
    expect(createRedirectAllowlist(["http://portcullis.test"]).defaultTarget).toBe("http://portcullis.test/");
  });

  it("describes entries it cannot use", () => {
    expect(describeAllowlistEntryProblem("https://app.example.com/account")).toBeNull();
    expect(describeAllowlistEntryProblem("app.example.com")).toMatch(/absolute/);
    expect(describeAllowlistEntryProblem("https://user@app.example.com")).toMatch(/user-info/);
    expect(describeAllowlistEntryProblem("https://app.example.com/?next=1")).toMatch(/query/);
    expect(describeAllowlistEntryProblem("https://*.example.com")).toMatch(/wildcards/);
    expect(describeAllowlistEntryProblem("ftp://app.example.com")).not.toBeNull();
  });

  it("adds query parameters to a target, keeping the fragment last", () => {
    expect(withQuery("https://app.example.com/done?x=1#top", { code: "abc" })).toBe(
      "https://app.example.com/done?x=1&code=abc#top",
    );
    expect(withQuery("https://app.example.com/done?code=old", { code: "new" })).toBe(
      "https://app.example.com/done?code=new",
    );
  });
});
