/** Secrets a client put in a query string never reach the logs (ASVS 14.2.1, 16.2.5). */
import { describe, expect, it } from "vitest";
import { redactUrl } from "./log-serializers.js";

describe("redactUrl", () => {
  it.each([
    ["/v1/me?api_key=pc_abc", "/v1/me?api_key=[redacted]"],
    ["/v1/me?X-API-Key=whatever", "/v1/me?X-API-Key=[redacted]"],
    ["/v1/me?access_token=eyJhbGciOi.x.y&limit=5", "/v1/me?access_token=[redacted]&limit=5"],
    ["/cb?code=abc&state=def", "/cb?code=[redacted]&state=[redacted]"],
    ["/v1/me?q=pc_AAAAAAAAAAAA_BBBB", "/v1/me?q=[redacted]"],
    ["/v1/me?pc_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "/v1/me?[redacted]"],
    ["/v1/me?password=hunter2", "/v1/me?password=[redacted]"],
  ])("redacts %s", (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it("leaves harmless URLs alone", () => {
    expect(redactUrl("/v1/admin/users?q=ada&limit=10")).toBe("/v1/admin/users?q=ada&limit=10");
    expect(redactUrl("/v1/admin/events?userId=0b5e4c1e-7a4f-4d65-9a0e-0d7f4a1b2c3d")).toBe(
      "/v1/admin/events?userId=0b5e4c1e-7a4f-4d65-9a0e-0d7f4a1b2c3d",
    );
    expect(redactUrl("/healthz")).toBe("/healthz");
  });
});
