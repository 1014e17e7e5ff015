import type { FastifyReply, FastifyRequest } from "fastify";
import { describe, expect, it } from "vitest";
import { createCsrfTokens, deriveCsrfKey } from "../domain/sessions/csrf-token.js";
import { createFormCsrf, formCookieName } from "./form-csrf.js";

const origin = "https://auth.example.com";
const formCsrf = createFormCsrf({
  tokens: createCsrfTokens(deriveCsrfKey("a-test-secret-that-is-long-enough-0123456789")),
  secureCookies: true,
  origin,
});

function request(cookies: Record<string, string> = {}, headers: Record<string, string> = {}): FastifyRequest {
  return { cookies: { ...cookies }, headers: { origin, ...headers } } as unknown as FastifyRequest;
}

function reply(): FastifyReply & { set: Record<string, string> } {
  const set: Record<string, string> = {};
  return {
    set,
    setCookie(name: string, value: string) {
      set[name] = value;
      return this;
    },
  } as unknown as FastifyReply & { set: Record<string, string> };
}

describe("form CSRF", () => {
  it("binds a signed-out form to a new __Host- cookie and accepts it back", () => {
    const r = reply();
    const token = formCsrf.issue(request(), r, null);
    const cookie = r.set[formCookieName(true)];
    expect(formCookieName(true)).toBe("__Host-pc_form");
    expect(cookie).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(formCsrf.verify(request({ "__Host-pc_form": cookie! }), null, token)).toBe(true);
  });

  it("refuses a token for another browser's cookie, a missing token, or no cookie", () => {
    const token = formCsrf.issue(request(), reply(), null);
    expect(formCsrf.verify(request({ "__Host-pc_form": "A".repeat(24) }), null, token)).toBe(false);
    expect(formCsrf.verify(request(), null, token)).toBe(false);
    expect(formCsrf.verify(request({ "__Host-pc_form": "A".repeat(24) }), null, undefined)).toBe(false);
  });

  it("binds a signed-in form to the session, not to the cookie", () => {
    const token = formCsrf.issue(request(), reply(), "session-1");
    expect(formCsrf.verify(request(), "session-1", token)).toBe(true);
    expect(formCsrf.verify(request(), "session-2", token)).toBe(false);
    expect(formCsrf.verify(request(), null, token)).toBe(false);
  });

  it("refuses cross-site requests and foreign origins even with a good token", () => {
    const token = formCsrf.issue(request(), reply(), "session-1");
    expect(formCsrf.verify(request({}, { "sec-fetch-site": "cross-site" }), "session-1", token)).toBe(false);
    expect(formCsrf.verify(request({}, { origin: "https://evil.example" }), "session-1", token)).toBe(false);
    expect(formCsrf.verify(request({}, { origin: "null" }), "session-1", token)).toBe(false);
  });
});
