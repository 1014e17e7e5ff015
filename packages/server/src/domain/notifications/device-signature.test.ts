import { describe, expect, it } from "vitest";
import { addressPrefix, isSameDevice, userAgentFamily } from "./device-signature.js";

describe("addressPrefix", () => {
  it.each([
    ["203.0.113.7", "203.0.113"],
    ["::ffff:203.0.113.7", "203.0.113"],
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2"],
    ["2001:db8::1", "2001:db8:0:0"],
    ["2001:0db8:0001:0002::7", "2001:db8:1:2"],
    ["::1", "0:0:0:0"],
    ["fe80::1%eth0", "fe80:0:0:0"],
  ])("%s → %s", (ip, prefix) => {
    expect(addressPrefix(ip)).toBe(prefix);
  });

  it("is null for an unknown address", () => {
    expect(addressPrefix(null)).toBeNull();
  });
});

describe("userAgentFamily", () => {
  it("drops version numbers, so a browser update is the same family", () => {
    expect(userAgentFamily("Mozilla/5.0 (X11; rv:128.0) Firefox/128.0")).toBe(
      userAgentFamily("Mozilla/5.0 (X11; rv:129.0) Firefox/129.0.1"),
    );
  });

  it("tells different browsers and systems apart", () => {
    expect(userAgentFamily("Mozilla/5.0 (X11; Linux) Firefox/128.0")).not.toBe(
      userAgentFamily("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5) Mobile/15E148"),
    );
  });
});

describe("isSameDevice", () => {
  const firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

  it("is the same device on the same network with the same browser", () => {
    expect(
      isSameDevice({ ip: "203.0.113.7", userAgent: firefox }, { ip: "203.0.113.99", userAgent: firefox }),
    ).toBe(true);
  });

  it("is a new device on another network, or with another browser", () => {
    expect(
      isSameDevice({ ip: "203.0.113.7", userAgent: firefox }, { ip: "198.51.100.7", userAgent: firefox }),
    ).toBe(false);
    expect(
      isSameDevice({ ip: "203.0.113.7", userAgent: firefox }, { ip: "203.0.113.7", userAgent: "curl/8.5.0" }),
    ).toBe(false);
  });
});
