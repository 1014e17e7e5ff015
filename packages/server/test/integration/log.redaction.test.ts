/**
 * Invariant: no credential reaches the logs. With the production logger (its redaction paths,
 * request serializer and access log) writing to a captured stream at the most verbose level,
 * requests carrying passwords, access and refresh tokens, API keys and cookies, in headers, bodies
 * and even the query string, leave none of those secrets in any log line — the access log names
 * the route, never the URL — and values logged under secret names are censored (ASVS 16.2.5,
 * 14.2.1; ARCHITECTURE.md "logging").
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeyHeader, createApiKey, createSignedInUser, type SignedIn, send } from "../support/accounts.js";
import { createTestApp, STRONG_PASSWORD, type TestApp } from "../support/test-app.js";

describe("log redaction", () => {
  let t: TestApp;
  const lines: string[] = [];

  beforeAll(async () => {
    t = await createTestApp({
      env: { PORTCULLIS_LOG_LEVEL: "trace" },
      logStream: { write: (line) => lines.push(line) },
    });
  });
  afterAll(() => t.close());

  it("keeps passwords, tokens, keys and cookies out of every line, wherever the client put them", async () => {
    const user: SignedIn = await createSignedInUser(t);
    const { key } = await createApiKey(t, user);
    const secrets = [STRONG_PASSWORD, user.accessToken, user.refreshToken, key];
    const cookie = `pc_refresh=${user.refreshToken}; pc_session=${user.refreshToken}`;
    const before = lines.length;

    await send(t, "POST", "/v1/auth/login", {}, { email: user.email, password: STRONG_PASSWORD });
    await send(t, "POST", "/v1/auth/refresh", { cookie }, { refreshToken: user.refreshToken });
    await send(t, "GET", "/v1/me", apiKeyHeader(key));
    await send(t, "GET", `/v1/me?api_key=${key}&access_token=${user.accessToken}`);
    await send(t, "GET", `/v1/me?refresh_token=${user.refreshToken}&password=${STRONG_PASSWORD}`);
    await send(t, "GET", "/v1/me", { authorization: `Bearer ${user.accessToken}`, cookie });
    await send(t, "POST", "/v1/me/password", user.headers, {
      currentPassword: STRONG_PASSWORD,
      newPassword: `${STRONG_PASSWORD}-x`,
    });

    const written = lines.slice(before);
    // The requests were logged at all (otherwise this test would prove nothing): one line each.
    expect(written.filter((line) => line.includes('"route":"/v1/me"'))).toHaveLength(4);
    expect(written.filter((line) => line.includes('"route":"/v1/auth/login"'))).toHaveLength(1);
    expect(written.filter((line) => line.includes('"route":"/v1/auth/refresh"'))).toHaveLength(1);
    expect(written.filter((line) => line.includes('"route":"/v1/me/password"'))).toHaveLength(1);
    // Not even the names of the query parameters.
    expect(written.some((line) => line.includes("api_key") || line.includes("refresh_token"))).toBe(false);
    for (const line of written) {
      for (const secret of [...secrets, `${STRONG_PASSWORD}-x`]) expect(line).not.toContain(secret);
    }
  });

  it("censors secrets logged under their names: headers, bodies, tokens and keys", () => {
    const before = lines.length;
    t.app.log.info(
      {
        req: {
          headers: {
            authorization: "Bearer secret-bearer-value",
            cookie: "pc_session=secret-cookie-value",
            "x-api-key": "pc_secret-api-key-value",
            "x-csrf-token": "secret-csrf-value",
          },
        },
        body: {
          password: "secret-password-value",
          currentPassword: "secret-current-value",
          newPassword: "secret-new-value",
          refreshToken: "secret-refresh-value",
          mfaToken: "secret-mfa-value",
          token: "secret-reset-value",
        },
        response: { accessToken: "secret-access-value", key: "pc_secret-key-value" },
      },
      "explicitly logged",
    );
    const written = lines.slice(before).join("\n");
    expect(written).toContain("explicitly logged");
    expect(written).toContain("[redacted]");
    expect(written).not.toMatch(/secret-[a-z-]+-value/);
  });
});
