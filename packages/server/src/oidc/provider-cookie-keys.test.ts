import { describe, expect, it } from "vitest";
import { deriveCookieKeys } from "./provider-cookie-keys.js";

const OLD = "old-secret-0123456789-abcdefghijklmnopqrstuv";
const NEW = "new-secret-9876543210-zyxwvutsrqponmlkjihgfe";

describe("deriveCookieKeys", () => {
  it("puts the current secret's key first (it signs), then the previous ones' (they verify)", () => {
    const [signing, ...verifying] = deriveCookieKeys(NEW, [OLD]);
    expect(signing).toBe(deriveCookieKeys(NEW)[0]);
    expect(verifying).toEqual(deriveCookieKeys(OLD));
    expect(signing).not.toBe(verifying[0]);
  });

  it("derives one key per distinct secret, the same on every instance", () => {
    expect(deriveCookieKeys(NEW, [NEW])).toHaveLength(1);
    expect(deriveCookieKeys(NEW)).toEqual(deriveCookieKeys(NEW));
  });
});
