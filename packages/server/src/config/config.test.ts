import { describe, expect, it } from "vitest";
import { loadConfig, parseDuration, parseRateLimit } from "./config.js";
import { namedVariables, refusal } from "./config.test-support.js";

/** High entropy, 64 characters: what `openssl rand -base64 48` gives. */
const STRONG_SECRET = "q8Vx2LmR7tZp4KsW9bNc3HfJ6dYg1AeUoTiPrXzQwEvBnMkSlCjDhGfIaO5u0y-_";
const PRODUCTION = {
  NODE_ENV: "production",
  PORTCULLIS_SECRET: STRONG_SECRET,
  PORTCULLIS_PUBLIC_URL: "https://auth.example.com",
  SMTP_URL: "smtp://mailer:hunter2-mail@smtp.example.com:587",
};

/** The ConfigError `loadConfig` throws for `env`; fails the test when it accepts it. */
describe("loadConfig › defaults", () => {
  it("resolves the documented defaults from an empty environment", () => {
    expect(loadConfig({})).toEqual({
      env: "development",
      port: 3000,
      host: "localhost",
      databaseUrl: "sqlite:./data/portcullis.db",
      redisUrl: undefined,
      redisPrefix: "portcullis:",
      dataDir: "./data",
      publicUrl: "http://localhost:3000",
      audience: "http://localhost:3000",
      secret: undefined,
      previousSecrets: [],
      signingAlgorithm: "ES256",
      accessTokenTtlSeconds: 15 * 60,
      refreshTokenTtlSeconds: 7 * 86_400,
      refreshGraceMs: 0,
      rememberMeTtlSeconds: 30 * 86_400,
      sessionIdleTimeoutSeconds: 30 * 60,
      reauthWindowSeconds: 10 * 60,
      webauthn: { rpId: "localhost", rpName: "Portcullis", origins: ["http://localhost:3000"] },
      sessionBinding: { userAgent: false, address: false },
      loginRateLimit: { points: 10, durationSeconds: 15 * 60 },
      rateLimit: { points: 300, durationSeconds: 60 },
      emailRateLimit: { points: 5, durationSeconds: 3600 },
      introspectionRateLimit: { points: 6000, durationSeconds: 60 },
      smtpUrl: undefined,
      mailOutboxDir: "./data/mail-outbox",
      mailFrom: "Portcullis <no-reply@localhost>",
      mailTemplatesDir: undefined,
      requireVerifiedEmail: false,
      emailTaken: "conflict",
      trustProxy: false,
      hashConcurrency: undefined,
      hashQueue: 64,
      hashNiceness: 10,
      cacheEntries: 10_000,
      roles: ["user", "admin"],
      roleScopes: { user: ["events:read"], admin: ["admin:read", "admin:write"] },
      apiScopes: [],
      resources: ["http://localhost:3000"],
      oauthProviders: [],
      redirectAllowlist: ["http://localhost:3000"],
      auditRetentionSeconds: 365 * 86_400,
      logLevel: "info",
      shutdownTimeoutSeconds: 10,
      metrics: { port: undefined, host: "127.0.0.1", token: undefined },
      accessLog: "all",
      ui: {
        productName: "Portcullis",
        logo: undefined,
        primaryColor: "#2f4fc9",
        overridesDir: undefined,
        geoipCsv: undefined,
      },
      secureCookies: false,
      warnings: [],
    });
  });

  it("returns a frozen object, so nothing changes the configuration after start", () => {
    expect(Object.isFrozen(loadConfig({}))).toBe(true);
  });

  it("treats empty and blank values as unset", () => {
    const config = loadConfig({ PORT: "", HOST: "   ", PORTCULLIS_ACCESS_TOKEN_TTL: "" });
    expect(config.port).toBe(3000);
    expect(config.host).toBe("localhost");
    expect(config.accessTokenTtlSeconds).toBe(900);
  });

  it("ignores variables it does not know", () => {
    expect(loadConfig({ PORTCULLIS_NO_SUCH_SETTING: "x", PATH: "/bin" }).port).toBe(3000);
  });

  it("builds the default public URL from the configured port", () => {
    expect(loadConfig({ PORT: "4100" }).publicUrl).toBe("http://localhost:4100");
  });

  it("drops trailing slashes from the public URL and uses it as the default audience", () => {
    const config = loadConfig({ PORTCULLIS_PUBLIC_URL: "https://auth.example.com/base//" });
    expect(config.publicUrl).toBe("https://auth.example.com/base");
    expect(config.audience).toBe("https://auth.example.com/base");
  });

  it("takes the audience from PORTCULLIS_AUDIENCE when it is set", () => {
    const config = loadConfig({
      PORTCULLIS_PUBLIC_URL: "https://auth.example.com",
      PORTCULLIS_AUDIENCE: "api://orders",
    });
    expect(config.audience).toBe("api://orders");
  });

  it("bounds every in-process cache by PORTCULLIS_CACHE_ENTRIES and refuses an unbounded one", () => {
    expect(loadConfig({ PORTCULLIS_CACHE_ENTRIES: "250000" }).cacheEntries).toBe(250_000);
    expect(refusal({ PORTCULLIS_CACHE_ENTRIES: "0" }).message).toContain("PORTCULLIS_CACHE_ENTRIES");
    expect(refusal({ PORTCULLIS_CACHE_ENTRIES: "100000000" }).message).toContain("PORTCULLIS_CACHE_ENTRIES");
  });

  it("turns on secure cookies for an https public URL only", () => {
    expect(loadConfig({ PORTCULLIS_PUBLIC_URL: "https://auth.example.com" }).secureCookies).toBe(true);
    expect(loadConfig({ PORTCULLIS_PUBLIC_URL: "http://localhost:3000" }).secureCookies).toBe(false);
  });
});

describe("loadConfig › host", () => {
  it("listens on loopback only by default outside production", () => {
    expect(loadConfig({ NODE_ENV: "development" }).host).toBe("localhost");
    expect(loadConfig({ NODE_ENV: "test" }).host).toBe("localhost");
  });

  it("listens on all interfaces by default in production", () => {
    expect(loadConfig(PRODUCTION).host).toBe("0.0.0.0");
  });

  it("uses HOST when it is set, in production too", () => {
    expect(loadConfig({ ...PRODUCTION, HOST: "10.1.2.3" }).host).toBe("10.1.2.3");
  });
});

describe("loadConfig › invalid values", () => {
  it("reports every bad value at once, each problem naming its variable", () => {
    const error = refusal({
      PORT: "abc",
      PORTCULLIS_ACCESS_TOKEN_TTL: "15x",
      PORTCULLIS_LOGIN_RATE_LIMIT: "5/",
      PORTCULLIS_SIGNING_ALG: "none",
      PORTCULLIS_PUBLIC_URL: "not a url",
    });
    const expected = [
      "PORT",
      "PORTCULLIS_ACCESS_TOKEN_TTL",
      "PORTCULLIS_LOGIN_RATE_LIMIT",
      "PORTCULLIS_SIGNING_ALG",
      "PORTCULLIS_PUBLIC_URL",
    ];
    expect(new Set(namedVariables(error))).toEqual(new Set(expected));
    for (const name of expected) expect(error.message).toMatch(new RegExp(`^  - ${name}:`, "m"));
  });

  it("reports a missing production secret together with malformed values, not one after the other", () => {
    const error = refusal({ NODE_ENV: "production", PORT: "abc" });
    expect(namedVariables(error)).toEqual(expect.arrayContaining(["PORT", "PORTCULLIS_SECRET"]));
  });

  it.each([
    ["PORT", "abc"],
    ["PORT", "70000"],
    ["PORT", "-1"],
    ["PORTCULLIS_ACCESS_TOKEN_TTL", "15x"],
    ["PORTCULLIS_ACCESS_TOKEN_TTL", "15"],
    ["PORTCULLIS_ACCESS_TOKEN_TTL", "0m"],
    ["PORTCULLIS_ACCESS_TOKEN_TTL", "1.5h"],
    ["PORTCULLIS_REFRESH_TOKEN_TTL", "7 days"],
    ["PORTCULLIS_REMEMBER_ME_TTL", "-30d"],
    ["PORTCULLIS_LOGIN_RATE_LIMIT", "5/"],
    ["PORTCULLIS_LOGIN_RATE_LIMIT", "5"],
    ["PORTCULLIS_LOGIN_RATE_LIMIT", "/15m"],
    ["PORTCULLIS_LOGIN_RATE_LIMIT", "0/15m"],
    ["PORTCULLIS_RATE_LIMIT", "many"],
    ["PORTCULLIS_SIGNING_ALG", "none"],
    ["PORTCULLIS_SIGNING_ALG", "HS512"],
    ["PORTCULLIS_PUBLIC_URL", "not a url"],
    ["PORTCULLIS_PUBLIC_URL", "ftp://auth.example.com"],
    ["PORTCULLIS_PUBLIC_URL", "https://auth.example.com/?next=x"],
    ["NODE_ENV", "staging"],
    ["DATABASE_URL", "mysql://db.example.com/portcullis"],
    ["PORTCULLIS_LOG_LEVEL", "loud"],
    ["PORTCULLIS_ACCESS_LOG", "some"],
    ["PORTCULLIS_TRUST_PROXY", "true"],
    ["PORTCULLIS_SHUTDOWN_TIMEOUT", "0s"],
    ["PORTCULLIS_SHUTDOWN_TIMEOUT", "10"],
  ])("refuses %s=%j, naming the variable", (name, value) => {
    const error = refusal({ [name]: value });
    expect(error.problems.length).toBeGreaterThan(0);
    for (const variable of namedVariables(error)) expect(variable).toBe(name);
  });

  it.each(["3000.5", "1e3", "0x1F90"])(
    "refuses PORT=%j rather than reading some other number out of it",
    (value) => {
      expect(namedVariables(refusal({ PORT: value }))).toContain("PORT");
    },
  );

  it("refuses an access-token lifetime over 24 hours", () => {
    expect(namedVariables(refusal({ PORTCULLIS_ACCESS_TOKEN_TTL: "25h" }))).toEqual([
      "PORTCULLIS_ACCESS_TOKEN_TTL",
    ]);
    expect(loadConfig({ PORTCULLIS_ACCESS_TOKEN_TTL: "24h" }).accessTokenTtlSeconds).toBe(86_400);
  });

  it("runs the hash threads 10 below the event loop unless told, from 0 to 19", () => {
    expect(loadConfig({ PORTCULLIS_HASH_NICENESS: "0" }).hashNiceness).toBe(0);
    expect(loadConfig({ PORTCULLIS_HASH_NICENESS: "19" }).hashNiceness).toBe(19);
    expect(namedVariables(refusal({ PORTCULLIS_HASH_NICENESS: "20" }))).toEqual(["PORTCULLIS_HASH_NICENESS"]);
    expect(namedVariables(refusal({ PORTCULLIS_HASH_NICENESS: "-1" }))).toEqual(["PORTCULLIS_HASH_NICENESS"]);
  });

  it("refuses a refresh-token lifetime shorter than the access-token lifetime", () => {
    const error = refusal({ PORTCULLIS_ACCESS_TOKEN_TTL: "1h", PORTCULLIS_REFRESH_TOKEN_TTL: "30m" });
    expect(namedVariables(error)).toEqual(["PORTCULLIS_REFRESH_TOKEN_TTL"]);
  });

  it("refuses more than 100 failed logins per window (NIST SP 800-63B §5.2.2)", () => {
    expect(namedVariables(refusal({ PORTCULLIS_LOGIN_RATE_LIMIT: "101/1h" }))).toEqual([
      "PORTCULLIS_LOGIN_RATE_LIMIT",
    ]);
    expect(loadConfig({ PORTCULLIS_LOGIN_RATE_LIMIT: "100/1h" }).loginRateLimit).toEqual({
      points: 100,
      durationSeconds: 3600,
    });
  });

  it("warns, naming PORTCULLIS_PUBLIC_URL, when production runs on a plain-http public URL other than loopback", () => {
    const config = loadConfig({ ...PRODUCTION, PORTCULLIS_PUBLIC_URL: "http://auth.example.com" });
    expect(config.secureCookies).toBe(false);
    expect(config.warnings).toEqual([expect.stringContaining("PORTCULLIS_PUBLIC_URL")]);
    expect(loadConfig({ ...PRODUCTION, PORTCULLIS_PUBLIC_URL: "http://localhost:3000" }).warnings).toEqual(
      [],
    );
    expect(loadConfig(PRODUCTION).warnings).toEqual([]);
  });
});

describe("durations and rate limits", () => {
  it.each([
    ["30s", 30],
    ["15m", 900],
    ["1h", 3600],
    ["7d", 604_800],
  ])("parseDuration reads %s as %i seconds", (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it("resolves the token lifetimes to seconds", () => {
    const config = loadConfig({
      PORTCULLIS_ACCESS_TOKEN_TTL: "30s",
      PORTCULLIS_REFRESH_TOKEN_TTL: "12h",
      PORTCULLIS_REMEMBER_ME_TTL: "90d",
    });
    expect(config.accessTokenTtlSeconds).toBe(30);
    expect(config.refreshTokenTtlSeconds).toBe(43_200);
    expect(config.rememberMeTtlSeconds).toBe(7_776_000);
  });

  it("resolves rate limits to points per window", () => {
    const config = loadConfig({ PORTCULLIS_LOGIN_RATE_LIMIT: "5/15m", PORTCULLIS_RATE_LIMIT: "20/1h" });
    expect(config.loginRateLimit).toEqual({ points: 5, durationSeconds: 900 });
    expect(config.rateLimit).toEqual({ points: 20, durationSeconds: 3600 });
  });

  it("turns a rate limit off with `off`", () => {
    const config = loadConfig({ PORTCULLIS_LOGIN_RATE_LIMIT: "off", PORTCULLIS_RATE_LIMIT: "off" });
    expect(config.loginRateLimit).toBeNull();
    expect(config.rateLimit).toBeNull();
    expect(parseRateLimit("off")).toBeNull();
  });
});

describe("loadConfig › trust proxy", () => {
  it("trusts no proxy by default: the client address is the socket's", () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ PORTCULLIS_TRUST_PROXY: "false" }).trustProxy).toBe(false);
  });

  it("reads a number as a hop count", () => {
    expect(loadConfig({ PORTCULLIS_TRUST_PROXY: "2" }).trustProxy).toBe(2);
  });

  it("reads a comma-separated list as proxy addresses and CIDR ranges", () => {
    expect(loadConfig({ PORTCULLIS_TRUST_PROXY: "10.0.0.1, 10.0.0.0/8,::1 ,fd00::/8" }).trustProxy).toEqual([
      "10.0.0.1",
      "10.0.0.0/8",
      "::1",
      "fd00::/8",
    ]);
  });

  it.each(["abc", "10.0.0.300"])("refuses %j, which is neither a hop count nor an address", (value) => {
    expect(namedVariables(refusal({ PORTCULLIS_TRUST_PROXY: value }))).toContain("PORTCULLIS_TRUST_PROXY");
  });
});

describe("loadConfig › secret", () => {
  it("refuses to start in production without PORTCULLIS_SECRET, naming it", () => {
    const error = refusal({
      NODE_ENV: "production",
      PORTCULLIS_PUBLIC_URL: "https://auth.example.com",
      SMTP_URL: PRODUCTION.SMTP_URL,
    });
    expect(namedVariables(error)).toEqual(["PORTCULLIS_SECRET"]);
    expect(error.message).toContain("PORTCULLIS_SECRET");
  });

  it("leaves the secret unset outside production, for the development secret to fill in", () => {
    expect(loadConfig({ NODE_ENV: "development" }).secret).toBeUndefined();
  });

  it("accepts a long random secret", () => {
    expect(loadConfig(PRODUCTION).secret).toBe(STRONG_SECRET);
  });

  it.each([
    ["shorter than 32 characters", "Vx2LmR7tZp4KsW9bNc3HfJ6d"],
    ["one character repeated", "a".repeat(64)],
    ["a short pattern repeated", "abcd".repeat(16)],
    ["digits in order, repeated", "0123456789".repeat(4)],
    ["a longer pattern repeated", "Tz4kQ9mXr2Lb7wHn".repeat(3)],
  ])("refuses a weak secret (%s), naming PORTCULLIS_SECRET", (_kind, secret) => {
    const error = refusal({ ...PRODUCTION, PORTCULLIS_SECRET: secret });
    expect(namedVariables(error)).toEqual(["PORTCULLIS_SECRET"]);
  });

  it.each([
    ["a weak secret", { PORTCULLIS_SECRET: "hunter2-hunter2-hunter2" }],
    ["a weak secret beside malformed values", { PORTCULLIS_SECRET: "hunter2-hunter2-hunter2", PORT: "abc" }],
    [
      "a strong secret beside malformed values",
      { PORTCULLIS_SECRET: STRONG_SECRET, PORT: "abc", NODE_ENV: "x" },
    ],
  ])("never repeats the secret's value in an error message (%s)", (_case, env) => {
    const error = refusal(env);
    expect(error.message).not.toContain(env.PORTCULLIS_SECRET);
    for (const problem of error.problems) expect(problem).not.toContain(env.PORTCULLIS_SECRET);
  });
});
