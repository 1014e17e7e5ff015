/**
 * Social-login configuration: providers are found by scanning the environment for
 * `PORTCULLIS_OAUTH_<ID>_*`, and every problem names the real variable; plain http:// reaches a
 * provider only on loopback outside production; the redirect allow-list defaults to the public
 * URL's origin and refuses entries it could not match safely.
 */
import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";
import { namedVariables, refusal } from "./config.test-support.js";

const TESTIDP = {
  PORTCULLIS_OAUTH_TESTIDP_CLIENT_ID: "portcullis",
  PORTCULLIS_OAUTH_TESTIDP_CLIENT_SECRET: "s3cret-value",
  PORTCULLIS_OAUTH_TESTIDP_ISSUER: "https://idp.example.com",
};
const PRODUCTION = {
  NODE_ENV: "production",
  PORTCULLIS_SECRET: "q8Vx2LmR7tZp4KsW9bNc3HfJ6dYg1AeUoTiPrXzQwEvBnMkSlCjDhGfIaO5u0y-_",
  PORTCULLIS_PUBLIC_URL: "https://auth.example.com",
  SMTP_URL: "smtp://smtp.example.com:587",
};

describe("social-login configuration › providers", () => {
  it("configures nothing by default", () => {
    expect(loadConfig({}).oauthProviders).toEqual([]);
  });

  it("finds a generic OpenID Connect issuer by its id, with the default scopes", () => {
    expect(loadConfig(TESTIDP).oauthProviders).toEqual([
      {
        id: "testidp",
        kind: "oidc",
        clientId: "portcullis",
        clientSecret: "s3cret-value",
        issuer: "https://idp.example.com",
        scopes: ["openid", "email", "profile"],
      },
    ]);
  });

  it("presets google's issuer and github's endpoints, sorted by id", () => {
    const config = loadConfig({
      PORTCULLIS_OAUTH_GOOGLE_CLIENT_ID: "g-id",
      PORTCULLIS_OAUTH_GOOGLE_CLIENT_SECRET: "g-secret",
      PORTCULLIS_OAUTH_GITHUB_CLIENT_ID: "gh-id",
      PORTCULLIS_OAUTH_GITHUB_CLIENT_SECRET: "gh-secret",
      PORTCULLIS_OAUTH_GITHUB_SCOPES: "read:user,user:email",
    });
    expect(config.oauthProviders).toEqual([
      {
        id: "github",
        kind: "github",
        clientId: "gh-id",
        clientSecret: "gh-secret",
        scopes: ["read:user", "user:email"],
        webUrl: "https://github.com",
        apiUrl: "https://api.github.com",
      },
      {
        id: "google",
        kind: "oidc",
        clientId: "g-id",
        clientSecret: "g-secret",
        issuer: "https://accounts.google.com",
        scopes: ["openid", "email", "profile"],
      },
    ]);
  });

  it("moves github to a GitHub Enterprise host", () => {
    const [github] = loadConfig({
      PORTCULLIS_OAUTH_GITHUB_CLIENT_ID: "gh-id",
      PORTCULLIS_OAUTH_GITHUB_CLIENT_SECRET: "gh-secret",
      PORTCULLIS_OAUTH_GITHUB_URL: "https://github.corp.example/",
      PORTCULLIS_OAUTH_GITHUB_API_URL: "https://github.corp.example/api/v3",
    }).oauthProviders;
    expect(github).toMatchObject({
      webUrl: "https://github.corp.example",
      apiUrl: "https://github.corp.example/api/v3",
    });
  });

  it("names the missing secret and the missing issuer, never echoing a secret", () => {
    const error = refusal({
      PORTCULLIS_OAUTH_TESTIDP_CLIENT_ID: "portcullis",
      PORTCULLIS_OAUTH_OTHER_CLIENT_SECRET: "do-not-echo-me",
      PORTCULLIS_OAUTH_OTHER_CLIENT_ID: "x",
    });
    expect(namedVariables(error).sort()).toEqual([
      "PORTCULLIS_OAUTH_OTHER_ISSUER",
      "PORTCULLIS_OAUTH_TESTIDP_CLIENT_SECRET",
      "PORTCULLIS_OAUTH_TESTIDP_ISSUER",
    ]);
    expect(error.message).not.toContain("do-not-echo-me");
  });

  it("refuses an issuer for the presets, and an OpenID Connect scope list without openid", () => {
    const error = refusal({
      PORTCULLIS_OAUTH_GITHUB_CLIENT_ID: "a",
      PORTCULLIS_OAUTH_GITHUB_CLIENT_SECRET: "b",
      PORTCULLIS_OAUTH_GITHUB_ISSUER: "https://github.com",
      ...TESTIDP,
      PORTCULLIS_OAUTH_TESTIDP_SCOPES: "email profile",
    });
    expect(namedVariables(error).sort()).toEqual([
      "PORTCULLIS_OAUTH_GITHUB_ISSUER",
      "PORTCULLIS_OAUTH_TESTIDP_SCOPES",
    ]);
  });

  it("accepts a plain-http issuer only on loopback outside production", () => {
    expect(
      loadConfig({ ...TESTIDP, PORTCULLIS_OAUTH_TESTIDP_ISSUER: "http://127.0.0.1:4000" }).oauthProviders,
    ).toHaveLength(1);
    expect(
      loadConfig({ ...TESTIDP, PORTCULLIS_OAUTH_TESTIDP_ISSUER: "http://localhost:4000/oidc" })
        .oauthProviders,
    ).toHaveLength(1);
    expect(
      namedVariables(refusal({ ...TESTIDP, PORTCULLIS_OAUTH_TESTIDP_ISSUER: "http://idp.example.com" })),
    ).toEqual(["PORTCULLIS_OAUTH_TESTIDP_ISSUER"]);
    expect(
      namedVariables(
        refusal({ ...PRODUCTION, ...TESTIDP, PORTCULLIS_OAUTH_TESTIDP_ISSUER: "http://127.0.0.1:4000" }),
      ),
    ).toEqual(["PORTCULLIS_OAUTH_TESTIDP_ISSUER"]);
    const github = { PORTCULLIS_OAUTH_GITHUB_CLIENT_ID: "a", PORTCULLIS_OAUTH_GITHUB_CLIENT_SECRET: "b" };
    expect(
      namedVariables(
        refusal({ ...PRODUCTION, ...github, PORTCULLIS_OAUTH_GITHUB_API_URL: "http://127.0.0.1:9/api/v3" }),
      ),
    ).toEqual(["PORTCULLIS_OAUTH_GITHUB_API_URL"]);
  });
});

describe("social-login configuration › redirect allow-list", () => {
  it("defaults to the public URL's origin", () => {
    expect(loadConfig({ PORTCULLIS_PUBLIC_URL: "https://auth.example.com/base/" }).redirectAllowlist).toEqual(
      ["https://auth.example.com"],
    );
  });

  it("reads comma-separated origins and path prefixes", () => {
    expect(
      loadConfig({
        PORTCULLIS_REDIRECT_ALLOWLIST: " https://app.example.com , https://admin.example.com/account",
      }).redirectAllowlist,
    ).toEqual(["https://app.example.com", "https://admin.example.com/account"]);
  });

  it("refuses entries it could not match safely, naming the variable", () => {
    for (const entry of [
      "app.example.com",
      "https://*.example.com",
      "https://app.example.com/?x=1",
      "javascript:x",
    ]) {
      expect(namedVariables(refusal({ PORTCULLIS_REDIRECT_ALLOWLIST: entry }))).toEqual([
        "PORTCULLIS_REDIRECT_ALLOWLIST",
      ]);
    }
  });
});
