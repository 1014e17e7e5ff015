import { describe, expect, it } from "vitest";
import { normalizeEmail } from "./email.js";

describe("normalizeEmail › canonical form", () => {
  it("trims surrounding whitespace", () => {
    expect(normalizeEmail("  alice@example.com \t\n")).toBe("alice@example.com");
  });

  it("lower-cases the whole address, local part included", () => {
    expect(normalizeEmail("Alice.Smith@Example.COM")).toBe("alice.smith@example.com");
  });

  it("lower-cases non-ASCII letters too", () => {
    expect(normalizeEmail("ÄNNE@Example.com")).toBe("änne@example.com");
  });

  it("folds fullwidth letters to ASCII (NFKC)", () => {
    expect(normalizeEmail("ａｌｉｃｅ@ｅｘａｍｐｌｅ.com")).toBe("alice@example.com");
  });

  it("gives composed and decomposed accents the same form (NFKC)", () => {
    expect(normalizeEmail("jose\u0301@example.com")).toBe(normalizeEmail("jos\u00e9@example.com"));
    expect(normalizeEmail("jose\u0301@example.com")).toBe("jos\u00e9@example.com");
  });

  it("folds a lone fullwidth @ to @, so it names the same account as the ASCII address", () => {
    expect(normalizeEmail("alice\uff20example.com")).toBe("alice@example.com");
  });

  it("is idempotent", () => {
    for (const input of [" Alice@Example.COM", "ａｌｉｃｅ@example.com", "jose\u0301@Example.com"]) {
      const once = normalizeEmail(input);
      expect(once).not.toBeNull();
      expect(normalizeEmail(once!)).toBe(once);
    }
  });

  it("keeps plus addressing and dotted local parts as they are", () => {
    expect(normalizeEmail("a.b+tag@mail.example.co.uk")).toBe("a.b+tag@mail.example.co.uk");
  });
});

describe("normalizeEmail › refused addresses", () => {
  it("refuses a fullwidth @ that becomes a second @ after NFKC", () => {
    expect(normalizeEmail("victim@example.com\uff20attacker.io")).toBeNull();
  });

  it.each([
    ["no @", "alice.example.com"],
    ["two @", "alice@bob@example.com"],
    ["an empty local part", "@example.com"],
    ["an empty domain", "alice@"],
    ["a quoted local part", '"alice smith"@example.com'],
    ["a stray quote", 'alice"@example.com'],
    ["an apostrophe", "o'brien@example.com"],
    ["a comma (two recipients)", "alice@example.com,eve@attacker.io"],
    ["a semicolon", "alice@example.com;eve@attacker.io"],
    ["an inner space", "alice smith@example.com"],
    ["a space in the domain", "alice@exa mple.com"],
    ["a CR LF header injection", "alice@example.com\r\nBcc: eve@attacker.io"],
    ["a NUL", "alice\u0000@example.com"],
    ["angle brackets", "<alice@example.com>"],
    ["a display name", "Alice <alice@example.com>"],
    ["parentheses (comments)", "alice(comment)@example.com"],
    ["a backslash", "ali\\ce@example.com"],
    ["a colon", "alice:x@example.com"],
    ["square brackets (address literal)", "alice@[127.0.0.1]"],
    ["a dotless domain", "alice@localhost"],
    ["a domain starting with a dot", "alice@.example.com"],
    ["a domain ending with a dot", "alice@example.com."],
    ["two dots in a row in the domain", "alice@example..com"],
    ["an empty string", ""],
    ["only whitespace", "   "],
  ])("refuses an address with %s", (_reason, input) => {
    expect(normalizeEmail(input)).toBeNull();
  });

  it.each([
    ["a zero-width space", "al\u200bice@example.com"],
    ["a right-to-left override", "alice\u202e@example.com"],
    ["a soft hyphen", "al\u00adice@example.com"],
  ])(
    "refuses an invisible format character (%s) that would make a lookalike of another address",
    (_name, input) => {
      expect(normalizeEmail(input)).toBeNull();
    },
  );
});

describe("normalizeEmail › length limits (RFC 5321 §4.5.3.1)", () => {
  // Labels of 60 characters: 60+1+60+1+60+1+6 = 189 characters of domain.
  const domain189 = `${"a".repeat(60)}.${"b".repeat(60)}.${"c".repeat(60)}.${"d".repeat(6)}`;

  it("accepts a local part of 64 characters and refuses one of 65", () => {
    expect(normalizeEmail(`${"x".repeat(64)}@example.com`)).toBe(`${"x".repeat(64)}@example.com`);
    expect(normalizeEmail(`${"x".repeat(65)}@example.com`)).toBeNull();
  });

  it("accepts an address of 254 characters and refuses one of 255", () => {
    const longest = `${"x".repeat(64)}@${domain189}`;
    expect(longest).toHaveLength(254);
    expect(normalizeEmail(longest)).toBe(longest);
    expect(normalizeEmail(`${"x".repeat(64)}@e${domain189}`)).toBeNull();
  });

  it("measures the length after normalisation, not before", () => {
    // 64 fullwidth letters are 64 ASCII letters after NFKC: still a valid local part.
    expect(normalizeEmail(`${"ｘ".repeat(64)}@example.com`)).toBe(`${"x".repeat(64)}@example.com`);
    // "㎒" (one code point) becomes "mhz" (three) under NFKC, pushing the local part past 64.
    expect(normalizeEmail(`${"x".repeat(62)}㎒@example.com`)).toBeNull();
  });
});
