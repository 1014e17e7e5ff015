import { describe, expect, it } from "vitest";
import { isLoopback, metricsAccess } from "./metrics-access.js";

const TOKEN = "scrape-9bNc3HfJ6dYg1AeUoTiPrXzQwEvBnMkSl";
const none = { port: undefined, host: "127.0.0.1", token: undefined };

describe("isLoopback", () => {
  it.each(["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])("%s is loopback", (address) => {
    expect(isLoopback(address)).toBe(true);
  });

  it.each(["10.0.0.1", "::ffff:10.0.0.1", "fe80::1", "1.127.0.0", "localhost", "", undefined])(
    "%s is not",
    (address) => {
      expect(isLoopback(address)).toBe(false);
    },
  );
});

describe("metricsAccess", () => {
  const loopback = { authorization: undefined, peerAddress: "127.0.0.1" };

  it("on the public listener without settings: loopback outside production only", () => {
    expect(metricsAccess(none, { listener: "public", production: false })(loopback)).toBe("serve");
    expect(metricsAccess(none, { listener: "public", production: true })(loopback)).toBe("not_found");
  });

  it("with a metrics port: not on the public listener, open on the metrics one", () => {
    const settings = { ...none, port: 9464 };
    expect(metricsAccess(settings, { listener: "public", production: false })(loopback)).toBe("not_found");
    expect(metricsAccess(settings, { listener: "metrics", production: true })(loopback)).toBe("serve");
  });

  it("with a token: the token, and nothing else, on either listener", () => {
    for (const listener of ["public", "metrics"] as const) {
      const access = metricsAccess({ ...none, token: TOKEN }, { listener, production: true });
      expect(access(loopback)).toBe("unauthenticated");
      expect(access({ ...loopback, authorization: `Bearer ${TOKEN}` })).toBe("serve");
      expect(access({ ...loopback, authorization: `bearer  ${TOKEN}` })).toBe("serve");
      expect(access({ ...loopback, authorization: `Bearer ${TOKEN.toUpperCase()}` })).toBe("invalid_token");
      expect(access({ ...loopback, authorization: "Bearer" })).toBe("invalid_token");
    }
  });
});
