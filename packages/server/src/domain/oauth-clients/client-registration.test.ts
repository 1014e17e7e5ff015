/**
 * The rules of a client registration: redirect URIs are absolute, exact (no fragment, no
 * wildcard), `https:` — or `http:` on a loopback host outside production — or, for public
 * clients only, a private-use scheme; grant types are known, a public client has no
 * client_credentials, refresh_token needs authorization_code, which needs a redirect URI; scopes
 * are those offered. Every problem is named at once, with its pointer and code.
 */
import { describe, expect, it } from "vitest";
import {
  type ClientRules,
  type ClientSettings,
  checkClientSettings,
  normalizeClientSettings,
  redirectUriProblem,
  registrableScopes,
} from "./client-registration.js";

const DEVELOPMENT: ClientRules = {
  allowedScopes: registrableScopes(["orders:read"]),
  allowLoopbackHttp: true,
};
const PRODUCTION: ClientRules = { ...DEVELOPMENT, allowLoopbackHttp: false };

const webApp: ClientSettings = {
  name: "Orders",
  type: "confidential",
  redirectUris: ["https://orders.example.com/callback"],
  postLogoutRedirectUris: [],
  grantTypes: ["authorization_code", "refresh_token"],
  scopes: ["openid", "email", "orders:read"],
  firstParty: false,
  backchannelLogoutUri: null,
};

const codesOf = (settings: Partial<ClientSettings>, rules = DEVELOPMENT) =>
  checkClientSettings({ ...webApp, ...settings }, rules).map((error) => [error.pointer, error.code]);

describe("registrableScopes", () => {
  it("offers the OpenID Connect scopes, then the API scopes, once each", () => {
    expect(registrableScopes(["orders:read", "email"])).toEqual([
      "openid",
      "profile",
      "email",
      "offline_access",
      "orders:read",
    ]);
  });
});

describe("checkClientSettings", () => {
  it("accepts a web app, a single-page app and a service", () => {
    expect(codesOf({})).toEqual([]);
    expect(
      codesOf({
        type: "public",
        redirectUris: ["https://spa.example.com/cb", "http://localhost:5173/cb"],
        postLogoutRedirectUris: ["https://spa.example.com/"],
      }),
    ).toEqual([]);
    expect(
      codesOf({ grantTypes: ["client_credentials"], redirectUris: [], scopes: ["orders:read"] }),
    ).toEqual([]);
  });

  it("needs a name of 1 to 100 characters", () => {
    expect(codesOf({ name: "" })).toEqual([["/name", "name_required"]]);
    expect(codesOf({ name: "x".repeat(100) })).toEqual([]);
    expect(codesOf({ name: "x".repeat(101) })).toEqual([["/name", "name_too_long"]]);
  });

  it("needs at least one grant type, each one the server offers", () => {
    expect(codesOf({ grantTypes: [] })).toEqual([["/grantTypes", "grant_types_required"]]);
    expect(codesOf({ grantTypes: ["authorization_code", "implicit", "password"] })).toEqual([
      ["/grantTypes/1", "unknown_grant_type"],
      ["/grantTypes/2", "unknown_grant_type"],
    ]);
  });

  it("refuses client_credentials for a public client: it has no secret", () => {
    expect(codesOf({ type: "public", grantTypes: ["client_credentials"], redirectUris: [] })).toEqual([
      ["/grantTypes", "public_client_credentials"],
    ]);
  });

  it("refuses refresh_token without authorization_code", () => {
    expect(codesOf({ grantTypes: ["client_credentials", "refresh_token"] })).toEqual([
      ["/grantTypes", "refresh_token_without_code"],
    ]);
  });

  it("refuses http:// redirect URIs in production, loopback ones too", () => {
    expect(codesOf({ redirectUris: ["http://localhost:3000/cb"] }, PRODUCTION)).toEqual([
      ["/redirectUris/0", "uri_http_in_production"],
    ]);
    expect(codesOf({}, PRODUCTION)).toEqual([]);
  });

  it("needs a redirect URI with authorization_code", () => {
    expect(codesOf({ redirectUris: [] })).toEqual([["/redirectUris", "redirect_uri_required"]]);
  });

  it("refuses scopes the server does not offer, naming each", () => {
    const errors = checkClientSettings(
      { ...webApp, scopes: ["openid", "admin:write", "orders:write"] },
      DEVELOPMENT,
    );
    expect(errors.map((error) => [error.pointer, error.code])).toEqual([
      ["/scopes/1", "unknown_scope"],
      ["/scopes/2", "unknown_scope"],
    ]);
    expect(errors[0]?.detail).toContain('"admin:write"');
    expect(errors[1]?.detail).toContain('"orders:write"');
  });

  it("applies the redirect rules to post-logout redirect URIs and the back-channel logout URI", () => {
    expect(
      codesOf({
        postLogoutRedirectUris: ["https://ok.example.com/", "https://example.com/#x"],
        backchannelLogoutUri: "http://example.com/logout",
      }),
    ).toEqual([
      ["/postLogoutRedirectUris/1", "uri_fragment"],
      ["/backchannelLogoutUri", "uri_http_not_loopback"],
    ]);
    expect(codesOf({ type: "public", backchannelLogoutUri: "com.example.app:/logout" })).toEqual([
      ["/backchannelLogoutUri", "uri_private_use_confidential"],
    ]);
  });

  it("names every problem at once", () => {
    expect(
      codesOf({
        name: "",
        type: "public",
        grantTypes: ["client_credentials", "refresh_token"],
        scopes: ["x"],
      }),
    ).toEqual([
      ["/name", "name_required"],
      ["/grantTypes", "public_client_credentials"],
      ["/grantTypes", "refresh_token_without_code"],
      ["/scopes/0", "unknown_scope"],
    ]);
  });
});

describe("redirectUriProblem", () => {
  const code = (uri: string, type: "confidential" | "public" = "confidential", loopback = true) =>
    redirectUriProblem(uri, type, loopback)?.code ?? null;

  it.each([
    "https://app.example.com/callback",
    "https://app.example.com:8443/cb?tenant=1",
    "http://localhost:3000/cb",
    "http://127.0.0.1/cb",
    "http://127.8.9.10:8080/cb",
    "http://[::1]:4000/cb",
  ])("accepts %s outside production", (uri) => {
    expect(code(uri)).toBeNull();
  });

  it("refuses http:// in production, even on loopback", () => {
    expect(code("http://localhost:3000/cb", "confidential", false)).toBe("uri_http_in_production");
    expect(code("https://app.example.com/cb", "confidential", false)).toBeNull();
  });

  it.each([
    ["http://example.com/cb", "uri_http_not_loopback"],
    ["http://localhost.example.com/cb", "uri_http_not_loopback"],
    ["http://128.0.0.1/cb", "uri_http_not_loopback"],
    ["http://[::2]/cb", "uri_http_not_loopback"],
    ["https://app.example.com/cb#done", "uri_fragment"],
    ["https://app.example.com/cb#", "uri_fragment"],
    ["https://*.example.com/cb", "uri_wildcard"],
    ["https://app.example.com/*", "uri_wildcard"],
    ["/callback", "uri_not_absolute"],
    ["app.example.com/callback", "uri_not_absolute"],
    ["not a url", "uri_whitespace"],
    [" https://app.example.com/cb", "uri_whitespace"],
    ["https://app.example.com/c\nb", "uri_whitespace"],
    ["https://app.example.com/c\u0000b", "uri_whitespace"],
    ["https://app.example.com/c\u007fb", "uri_whitespace"],
    ["https://user:pass@app.example.com/cb", "uri_credentials"],
    ["javascript:alert(1)", "uri_scheme"],
    ["data:text/html,hi", "uri_scheme"],
    ["ftp://files.example.com/cb", "uri_scheme"],
    ["myapp:/cb", "uri_scheme"],
    [`https://app.example.com/${"x".repeat(2000)}`, "uri_too_long"],
  ])("refuses %s (%s)", (uri, expected) => {
    expect(code(uri)).toBe(expected);
  });

  it("allows a private-use scheme in reverse-domain form for public clients only (native apps)", () => {
    expect(code("com.example.app:/oauth2redirect", "public")).toBeNull();
    expect(code("com.example.app:/oauth2redirect", "public", false)).toBeNull();
    expect(code("com.example.app:/oauth2redirect", "confidential")).toBe("uri_private_use_confidential");
  });
});

describe("normalizeClientSettings", () => {
  it("trims the name and drops repeated entries, keeping the order", () => {
    expect(
      normalizeClientSettings({
        ...webApp,
        name: "  Orders  ",
        redirectUris: ["https://b.example.com/", "https://a.example.com/", "https://b.example.com/"],
        scopes: ["openid", "openid", "email"],
      }),
    ).toMatchObject({
      name: "Orders",
      redirectUris: ["https://b.example.com/", "https://a.example.com/"],
      scopes: ["openid", "email"],
    });
  });
});
