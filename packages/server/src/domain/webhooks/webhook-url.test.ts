import { describe, expect, it } from "vitest";
import { checkWebhookUrl, isNonPublicAddress } from "./webhook-url.js";

describe("isNonPublicAddress", () => {
  it.each([
    "127.0.0.1",
    "10.255.0.1",
    "172.31.255.255",
    "192.168.0.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "255.255.255.255",
    "224.0.0.1",
    "::1",
    "::",
    "::ffff:10.0.0.1",
    "64:ff9b::7f00:1",
    "2002:a00:1::",
    "fc00::1",
    "fdff:ffff::1",
    "fe80::1",
    "ff02::1",
    "[::1]",
  ])("%s is not public", (address) => {
    expect(isNonPublicAddress(address)).toBe(true);
  });

  it.each([
    "93.184.215.14",
    "8.8.8.8",
    "172.32.0.1",
    "100.128.0.1",
    "2606:4700::1111",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::",
  ])("%s is public", (address) => {
    expect(isNonPublicAddress(address)).toBe(false);
  });
});

describe("checkWebhookUrl", () => {
  it("accepts a loopback http:// receiver outside production only", () => {
    expect(checkWebhookUrl("http://127.0.0.1:4000/hook", { production: false })).toEqual({ ok: true });
    expect(checkWebhookUrl("http://localhost:4000/hook", { production: false })).toEqual({ ok: true });
    expect(checkWebhookUrl("http://127.0.0.1:4000/hook", { production: true }).ok).toBe(false);
    expect(checkWebhookUrl("https://127.0.0.1:4000/hook", { production: true }).ok).toBe(false);
  });

  it("names each refusal with a stable code (the console words it per language)", () => {
    const code = (value: string, production: boolean) => {
      const verdict = checkWebhookUrl(value, { production });
      return verdict.ok ? "ok" : verdict.code;
    };
    expect(code("hooks.example.com/x", false)).toBe("url_not_absolute");
    expect(code("ftp://hooks.example.com/x", false)).toBe("url_scheme");
    expect(code("http://hooks.example.com/x", true)).toBe("url_scheme");
    expect(code("https://a:b@hooks.example.com/x", false)).toBe("url_credentials");
    expect(code("https://hooks.example.com/x#y", false)).toBe("url_fragment");
    expect(code("https://10.0.0.5/hook", true)).toBe("url_non_public");
  });

  it("accepts a public https:// URL in production without resolving it", () => {
    expect(checkWebhookUrl("https://hooks.example.com/portcullis?team=7", { production: true })).toEqual({
      ok: true,
    });
  });
});
