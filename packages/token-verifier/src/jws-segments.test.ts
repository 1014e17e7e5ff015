import { describe, expect, it } from "vitest";
import { countMemberNames, decodeJsonObject, isCanonicalBase64Url } from "./jws-segments.js";

const encode = (text: string) => Buffer.from(text, "utf8").toString("base64url");

describe("isCanonicalBase64Url", () => {
  it("accepts exactly what Node encodes, for every length and final byte", () => {
    for (let length = 0; length <= 4; length += 1) {
      for (let last = 0; last < 256; last += 1) {
        const bytes = Buffer.alloc(length, 0x41);
        if (length > 0) bytes[length - 1] = last;
        const canonical = bytes.toString("base64url");
        expect(isCanonicalBase64Url(canonical)).toBe(true);
        // Every other final character decodes to the same bytes (spare bits set) or is no encoding.
        const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for (const char of alphabet) {
          if (canonical.length === 0) break;
          const other = `${canonical.slice(0, -1)}${char}`;
          if (other === canonical) continue;
          const same = Buffer.from(other, "base64url").equals(bytes);
          expect(isCanonicalBase64Url(other)).toBe(
            !same && Buffer.from(other, "base64url").toString("base64url") === other,
          );
        }
      }
    }
    expect(isCanonicalBase64Url("AAAAA")).toBe(false);
  });
});

describe("countMemberNames", () => {
  it.each([
    ["{}", 0],
    ['{"a":1}', 1],
    ['{"a":"b","c":["d",{"e":"f:"}]}', 3],
    ['{"a\\"":"\\\\","b":1}', 2],
    ['{ "a" : 1 , "b"\t:\n[ "x" , "y" ] }', 2],
    ['["a","b"]', 0],
  ])("counts %s as %i", (text, names) => {
    expect(countMemberNames(text)).toBe(names);
  });
});

describe("decodeJsonObject", () => {
  it("reads objects and refuses arrays, scalars, duplicates and invalid UTF-8", () => {
    expect(decodeJsonObject(encode('{"a":1,"b":{"a":2}}'))).toEqual({ a: 1, b: { a: 2 } });
    expect(decodeJsonObject(encode('{"__proto__":1}'))).toEqual(JSON.parse('{"__proto__":1}'));
    for (const text of [
      "[]",
      "1",
      "null",
      '"x"',
      '{"a":1,"a":1}',
      '{"a":{"b":1,"b":2}}',
      '{"\\u0061":1,"a":2}',
      "{",
    ])
      expect(decodeJsonObject(encode(text))).toBeNull();
    expect(decodeJsonObject(Buffer.from([0x7b, 0xff, 0x7d]).toString("base64url"))).toBeNull();
  });
});
