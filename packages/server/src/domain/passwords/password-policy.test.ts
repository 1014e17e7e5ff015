import { describe, expect, it } from "vitest";
import {
  createPasswordPolicy,
  normalizePassword,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  type PasswordPolicyDeps,
} from "./password-policy.js";

const COMMON = new Set(["password123", "qwertyuiop"]);
const deps: PasswordPolicyDeps = { isCommonPassword: (password) => COMMON.has(password.toLowerCase()) };
const policy = createPasswordPolicy(deps);

describe("normalizePassword", () => {
  it("folds fullwidth characters to their ASCII forms (NFKC)", () => {
    expect(normalizePassword("ｐａｓｓｗｏｒｄ１２３")).toBe("password123");
  });

  it("composes a decomposed accent so both spellings give the same password", () => {
    expect(normalizePassword("cafe\u0301-au-lait")).toBe(normalizePassword("caf\u00e9-au-lait"));
  });

  it("keeps spaces and emoji", () => {
    expect(normalizePassword("correct horse 🐴 battery")).toBe("correct horse 🐴 battery");
  });
});

describe("createPasswordPolicy › check", () => {
  it("accepts a long, uncommon password", () => {
    expect(policy.check("tangerine-otter-lamp")).toEqual([]);
  });

  it("refuses a password shorter than the minimum", () => {
    expect(policy.check("a".repeat(PASSWORD_MIN_LENGTH - 1))).toEqual(["too_short"]);
  });

  it("accepts a password of exactly the minimum length", () => {
    expect(policy.check("zq7!mX2p")).toEqual([]);
  });

  it("accepts a password of exactly the maximum length", () => {
    expect(policy.check("x".repeat(PASSWORD_MAX_LENGTH))).toEqual([]);
  });

  it("refuses a password longer than the maximum", () => {
    expect(policy.check("x".repeat(PASSWORD_MAX_LENGTH + 1))).toEqual(["too_long"]);
  });

  it("counts code points, not UTF-16 units: 7 emoji are too short though 14 units long", () => {
    const sevenEmoji = "🐴".repeat(PASSWORD_MIN_LENGTH - 1);
    expect(sevenEmoji.length).toBe(14);
    expect(policy.check(sevenEmoji)).toEqual(["too_short"]);
    expect(policy.check("🐴".repeat(PASSWORD_MIN_LENGTH))).toEqual([]);
  });

  it("counts code points, not UTF-16 units, at the maximum", () => {
    expect(policy.check("🐴".repeat(PASSWORD_MAX_LENGTH))).toEqual([]);
    expect(policy.check("🐴".repeat(PASSWORD_MAX_LENGTH + 1))).toEqual(["too_long"]);
  });

  it("counts code points, not bytes: 8 accented letters (16 UTF-8 bytes) are long enough, 7 are not", () => {
    expect(policy.check("é".repeat(PASSWORD_MIN_LENGTH))).toEqual([]);
    expect(policy.check("é".repeat(PASSWORD_MIN_LENGTH - 1))).toEqual(["too_short"]);
  });

  it("allows any character: spaces, punctuation, other scripts", () => {
    expect(policy.check("        ")).toEqual([]);
    expect(policy.check("пароль безопасный")).toEqual([]);
    expect(policy.check("パスワードは長い")).toEqual([]);
  });

  it("refuses a common password through the injected dependency", () => {
    expect(policy.check("password123")).toEqual(["common"]);
  });

  it("refuses the fullwidth spelling of a common password once normalised", () => {
    expect(policy.check(normalizePassword("ｐａｓｓｗｏｒｄ１２３"))).toEqual(["common"]);
  });

  it("passes the password to the dependency unchanged (the dependency handles case)", () => {
    const seen: string[] = [];
    createPasswordPolicy({
      isCommonPassword: (password) => {
        seen.push(password);
        return false;
      },
    }).check("MiXeD-Case-Pass");
    expect(seen).toEqual(["MiXeD-Case-Pass"]);
  });

  it("refuses a password equal to the email, ignoring case", () => {
    expect(policy.check("Ada.Lovelace@Example.com", { email: "ada.lovelace@example.com" })).toEqual([
      "contains_email",
    ]);
  });

  it("refuses a password equal to the email's local part, ignoring case", () => {
    expect(policy.check("ADA.LOVELACE", { email: "ada.lovelace@example.com" })).toEqual(["contains_email"]);
  });

  it("ignores a local part shorter than 3 characters", () => {
    expect(policy.check("jo", { email: "jo@example.com" })).toEqual(["too_short"]);
  });

  it("applies the local-part rule from exactly 3 characters", () => {
    expect(policy.check("bob", { email: "bob@example.com" })).toEqual(["too_short", "contains_email"]);
  });

  it("accepts a password that merely differs from the email", () => {
    expect(policy.check("ada.lovelace!", { email: "ada.lovelace@example.com" })).toEqual([]);
  });

  it("does nothing for an empty or missing email", () => {
    expect(policy.check("tangerine-otter-lamp", {})).toEqual([]);
    expect(policy.check("tangerine-otter-lamp", { email: "" })).toEqual([]);
  });

  it("returns every reason that applies at once", () => {
    const tinyPolicy = createPasswordPolicy({ isCommonPassword: () => true });
    expect(tinyPolicy.check("bob", { email: "bob@example.com" })).toEqual([
      "too_short",
      "common",
      "contains_email",
    ]);
  });
});
