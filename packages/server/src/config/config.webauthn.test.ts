/**
 * The WebAuthn relying party comes from the public URL: its hostname is the RP ID and its origin
 * an accepted one; PORTCULLIS_WEBAUTHN_ORIGINS adds origins, each of which must be on the RP ID's
 * host or a subdomain of it (WebAuthn §5.1.3), or the server refuses to start, naming the entry.
 */
import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";
import { namedVariables, refusal } from "./config.test-support.js";

describe("loadConfig › WebAuthn relying party", () => {
  it("takes the RP ID and origin from the public URL", () => {
    expect(loadConfig({ PORTCULLIS_PUBLIC_URL: "https://auth.example.com/base/" }).webauthn).toEqual({
      rpId: "auth.example.com",
      rpName: "Portcullis",
      origins: ["https://auth.example.com"],
    });
  });

  it("adds the configured origins on the RP ID's host and its subdomains, once each", () => {
    const config = loadConfig({
      PORTCULLIS_PUBLIC_URL: "https://example.com",
      PORTCULLIS_WEBAUTHN_ORIGINS:
        "https://app.example.com, https://example.com:8443,https://app.example.com",
    });
    expect(config.webauthn.origins).toEqual([
      "https://example.com",
      "https://app.example.com",
      "https://example.com:8443",
    ]);
    expect(Object.isFrozen(config.webauthn.origins)).toBe(true);
  });

  it("refuses origins off the RP ID, with a path, or not URLs at all, naming each", () => {
    const error = refusal({
      PORTCULLIS_PUBLIC_URL: "https://example.com",
      PORTCULLIS_WEBAUTHN_ORIGINS: "https://evil.com,https://notexample.com,https://app.example.com/x,nope",
    });
    expect(namedVariables(error)).toEqual(Array(4).fill("PORTCULLIS_WEBAUTHN_ORIGINS"));
    expect(error.problems.join("\n")).toMatch(/"https:\/\/evil\.com" is not on example\.com/);
    expect(error.problems.join("\n")).toMatch(/"https:\/\/app\.example\.com\/x" is not an origin/);
  });
});
