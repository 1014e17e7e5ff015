/**
 * Mail settings: production never starts without a way to deliver mail (SMTP_URL, or an
 * explicitly configured outbox folder that another program delivers from), and says so naming
 * SMTP_URL; outside production mail without SMTP goes to an outbox folder in the data folder;
 * SMTP_URL may hold a password, which no error message repeats.
 */
import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";
import { namedVariables, refusal } from "./config.test-support.js";

const STRONG_SECRET = "q8Vx2LmR7tZp4KsW9bNc3HfJ6dYg1AeUoTiPrXzQwEvBnMkSlCjDhGfIaO5u0y-_";
const PRODUCTION = {
  NODE_ENV: "production",
  PORTCULLIS_SECRET: STRONG_SECRET,
  PORTCULLIS_PUBLIC_URL: "https://auth.example.com",
};

describe("loadConfig › mail delivery in production", () => {
  it("refuses to start without SMTP_URL or an outbox folder, naming SMTP_URL and the alternative", () => {
    const error = refusal(PRODUCTION);
    expect(namedVariables(error)).toEqual(["SMTP_URL"]);
    expect(error.message).toMatch(/SMTP_URL: required when NODE_ENV=production/);
    expect(error.message).toContain("PORTCULLIS_MAIL_OUTBOX");
  });

  it("names the missing SMTP_URL together with a missing secret, in one refusal", () => {
    const error = refusal({ NODE_ENV: "production" });
    expect(namedVariables(error)).toEqual(expect.arrayContaining(["PORTCULLIS_SECRET", "SMTP_URL"]));
  });

  it("starts with SMTP_URL alone, and writes no outbox folder unless told to", () => {
    const config = loadConfig({ ...PRODUCTION, SMTP_URL: "smtps://mailer:pw@smtp.example.com:465" });
    expect(config.smtpUrl).toBe("smtps://mailer:pw@smtp.example.com:465");
    expect(config.mailOutboxDir).toBeUndefined();
    expect(config.warnings).toEqual([]);
  });

  it("counts an explicitly configured outbox folder as a delivery choice, with a warning", () => {
    const config = loadConfig({ ...PRODUCTION, PORTCULLIS_MAIL_OUTBOX: "/var/spool/portcullis" });
    expect(config.smtpUrl).toBeUndefined();
    expect(config.mailOutboxDir).toBe("/var/spool/portcullis");
    expect(config.warnings.join("\n")).toContain("SMTP_URL");
  });
});

describe("loadConfig › mail delivery outside production", () => {
  it("writes mail to <data folder>/mail-outbox when there is no SMTP_URL", () => {
    expect(loadConfig({ PORTCULLIS_DATA_DIR: "/tmp/pc" }).mailOutboxDir).toBe("/tmp/pc/mail-outbox");
  });

  it("writes no copies when SMTP_URL is set, unless PORTCULLIS_MAIL_OUTBOX asks for them", () => {
    expect(loadConfig({ SMTP_URL: "smtp://127.0.0.1:2525" }).mailOutboxDir).toBeUndefined();
    expect(
      loadConfig({ SMTP_URL: "smtp://127.0.0.1:2525", PORTCULLIS_MAIL_OUTBOX: "./out" }).mailOutboxDir,
    ).toBe("./out");
  });
});

describe("loadConfig › SMTP_URL", () => {
  it.each(["http://smtp.example.com", "smtp.example.com:587", "smtp://has space@example.com"])(
    "refuses %j, naming SMTP_URL",
    (value) => {
      expect(namedVariables(refusal({ SMTP_URL: value }))).toContain("SMTP_URL");
    },
  );

  it("never repeats the URL (and the password in it) in an error message", () => {
    const error = refusal({ SMTP_URL: "ftp://mailer:Sup3r-Secret-Pa55@smtp.example.com" });
    expect(error.message).not.toContain("Sup3r-Secret-Pa55");
    expect(error.message).toContain("<redacted>");
  });
});

describe("loadConfig › sender, templates and policies", () => {
  it("sends from no-reply at the public URL's host by default", () => {
    expect(loadConfig({ PORTCULLIS_PUBLIC_URL: "https://auth.example.com/base" }).mailFrom).toBe(
      "Portcullis <no-reply@auth.example.com>",
    );
  });

  it("takes PORTCULLIS_MAIL_FROM, and refuses one that would add a header line", () => {
    expect(loadConfig({ PORTCULLIS_MAIL_FROM: "Example <auth@example.com>" }).mailFrom).toBe(
      "Example <auth@example.com>",
    );
    expect(namedVariables(refusal({ PORTCULLIS_MAIL_FROM: "a@example.com\r\nBcc: x@evil.io" }))).toContain(
      "PORTCULLIS_MAIL_FROM",
    );
  });

  it("keeps the template folder as given", () => {
    expect(loadConfig({ PORTCULLIS_MAIL_TEMPLATES: "./mail" }).mailTemplatesDir).toBe("./mail");
  });

  it("requires verified email only when PORTCULLIS_REQUIRE_VERIFIED_EMAIL=true", () => {
    expect(loadConfig({}).requireVerifiedEmail).toBe(false);
    expect(loadConfig({ PORTCULLIS_REQUIRE_VERIFIED_EMAIL: "true" }).requireVerifiedEmail).toBe(true);
    expect(namedVariables(refusal({ PORTCULLIS_REQUIRE_VERIFIED_EMAIL: "yes" }))).toContain(
      "PORTCULLIS_REQUIRE_VERIFIED_EMAIL",
    );
  });

  it("answers taken addresses with a conflict unless PORTCULLIS_EMAIL_TAKEN=notify", () => {
    expect(loadConfig({}).emailTaken).toBe("conflict");
    expect(loadConfig({ PORTCULLIS_EMAIL_TAKEN: "notify" }).emailTaken).toBe("notify");
    expect(namedVariables(refusal({ PORTCULLIS_EMAIL_TAKEN: "202" }))).toContain("PORTCULLIS_EMAIL_TAKEN");
  });

  it("reads PORTCULLIS_EMAIL_RATE_LIMIT like the other limits, `off` included", () => {
    expect(loadConfig({ PORTCULLIS_EMAIL_RATE_LIMIT: "3/15m" }).emailRateLimit).toEqual({
      points: 3,
      durationSeconds: 900,
    });
    expect(loadConfig({ PORTCULLIS_EMAIL_RATE_LIMIT: "off" }).emailRateLimit).toBeNull();
  });
});
