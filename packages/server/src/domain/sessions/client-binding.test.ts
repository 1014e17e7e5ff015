import { describe, expect, it } from "vitest";
import { matchesBoundClient, NO_CLIENT_BINDING } from "./client-binding.js";

const FIREFOX_128 = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const FIREFOX_140 = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";
const CHROME =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0 Safari/537.36";
const origin = { ip: "203.0.113.7", userAgent: FIREFOX_128 };

describe("matchesBoundClient", () => {
  const both = { userAgent: true, address: true };

  it("accepts anything when binding is off", () => {
    expect(matchesBoundClient(NO_CLIENT_BINDING, origin, { ip: "198.51.100.1", userAgent: CHROME })).toBe(
      true,
    );
  });

  it("accepts a browser update and another address in the same /24", () => {
    expect(matchesBoundClient(both, origin, { ip: "203.0.113.200", userAgent: FIREFOX_140 })).toBe(true);
  });

  it("refuses another browser family when the user agent is bound", () => {
    expect(matchesBoundClient(both, origin, { ip: "203.0.113.7", userAgent: CHROME })).toBe(false);
    expect(
      matchesBoundClient({ userAgent: true, address: false }, origin, {
        ip: "198.51.100.1",
        userAgent: FIREFOX_140,
      }),
    ).toBe(true);
  });

  it("refuses another network when the address is bound", () => {
    expect(matchesBoundClient(both, origin, { ip: "198.51.100.7", userAgent: FIREFOX_128 })).toBe(false);
    expect(
      matchesBoundClient({ userAgent: false, address: true }, origin, {
        ip: "203.0.113.9",
        userAgent: CHROME,
      }),
    ).toBe(true);
  });

  it("does not compare what the session never recorded", () => {
    expect(
      matchesBoundClient(both, { ip: null, userAgent: null }, { ip: "198.51.100.7", userAgent: CHROME }),
    ).toBe(true);
  });
});
