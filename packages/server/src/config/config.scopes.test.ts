/**
 * PORTCULLIS_SCOPES names the API scopes the OpenID provider offers beside `openid profile email
 * offline_access`: space-separated scope tokens of lower-case letters, digits and `_ : . -`, each
 * at most 64 characters. None by default; anything else is refused at start, naming the variable.
 */
import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";
import { namedVariables, refusal } from "./config.test-support.js";

describe("loadConfig › PORTCULLIS_SCOPES", () => {
  it("offers no API scopes by default", () => {
    expect(loadConfig({}).apiScopes).toEqual([]);
  });

  it("reads space-separated scopes once each, in order, frozen", () => {
    const config = loadConfig({ PORTCULLIS_SCOPES: "  orders:read   orders.write billing_v2 orders:read " });
    expect(config.apiScopes).toEqual(["orders:read", "orders.write", "billing_v2"]);
    expect(Object.isFrozen(config.apiScopes)).toBe(true);
  });

  it.each(["Orders:read", "orders,read", "1orders", "orders/read", "orders read;drop", `s${"x".repeat(64)}`])(
    "refuses PORTCULLIS_SCOPES=%s",
    (value) => {
      expect(namedVariables(refusal({ PORTCULLIS_SCOPES: value }))).toEqual(["PORTCULLIS_SCOPES"]);
    },
  );

  it.each(["admin:read", "orders:read admin:write", "introspect"])(
    "refuses Portcullis's own scopes for clients: PORTCULLIS_SCOPES=%s",
    (value) => {
      expect(namedVariables(refusal({ PORTCULLIS_SCOPES: value }))).toEqual(["PORTCULLIS_SCOPES"]);
    },
  );
});

describe("loadConfig › PORTCULLIS_RESOURCES", () => {
  it("always includes the audience, first, then the configured resources once each", () => {
    const config = loadConfig({
      PORTCULLIS_AUDIENCE: "https://api.example.com",
      PORTCULLIS_RESOURCES: "https://reports.example.com https://api.example.com",
    });
    expect(config.resources).toEqual(["https://api.example.com", "https://reports.example.com"]);
  });

  it.each(["not a uri", "https://api.example.com#fragment", "relative/path"])(
    "refuses PORTCULLIS_RESOURCES=%s",
    (value) => {
      expect(namedVariables(refusal({ PORTCULLIS_RESOURCES: value }))).toEqual(["PORTCULLIS_RESOURCES"]);
    },
  );
});
