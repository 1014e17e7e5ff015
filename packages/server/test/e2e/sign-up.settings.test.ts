/**
 * The sign-up page under the settings that change its answer, driven through `app.inject()` as a
 * browser without JavaScript would post the form: the per-address limit (shared with
 * `POST /v1/auth/register`) answers 429 with the wait in words; with
 * PORTCULLIS_EMAIL_TAKEN=notify a new and a taken address get the very same answer and nobody is
 * signed in; with PORTCULLIS_REQUIRE_VERIFIED_EMAIL the account is made but not signed in until
 * its address is confirmed. The password-check endpoint of the live feedback needs the form's
 * CSRF token and counts against the same limiter.
 */
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setCookies } from "../support/cookies.js";
import { mailsTo } from "../support/mail-outbox-folder.js";
import {
  createTestApp,
  PUBLIC_URL,
  STRONG_PASSWORD,
  type TestApp,
  uniqueEmail,
} from "../support/test-app.js";

interface FormSession {
  cookie: string;
  csrf: string;
}

/** Opens `path` like a browser: keeps the form cookie and reads the form's CSRF token. */
async function openForm(t: TestApp, path: string): Promise<FormSession> {
  const response = await t.get(path);
  expect(response.statusCode).toBe(200);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(response.body)?.[1];
  if (csrf === undefined) throw new Error(`no CSRF field on ${path}`);
  const cookie = setCookies(response)
    .map((entry) => `${entry.name}=${entry.value}`)
    .join("; ");
  return { cookie, csrf };
}

function postForm(
  t: TestApp,
  session: FormSession,
  path: string,
  fields: Record<string, string>,
): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: "POST",
    url: path,
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      origin: PUBLIC_URL,
      cookie: session.cookie,
    },
    payload: new URLSearchParams({ _csrf: session.csrf, ...fields }).toString(),
  });
}

const sessionCookieSet = (response: LightMyRequestResponse) =>
  setCookies(response).some((cookie) => cookie.name === "pc_session" && cookie.value !== "");

describe("sign-up page: the per-address limit", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { PORTCULLIS_RATE_LIMIT: "3/1m" } });
  });
  afterAll(async () => t.close());

  it("answers 429 with the wait in words and keeps the typed values, sharing the API's budget", async () => {
    const form = await openForm(t, "/register");
    const first = await postForm(t, form, "/register", {
      email: uniqueEmail("limit"),
      password: STRONG_PASSWORD,
    });
    expect(first.statusCode).toBe(303);
    const api = await t.post("/v1/auth/register", { email: uniqueEmail("limit"), password: STRONG_PASSWORD });
    expect(api.statusCode).toBe(201);
    const third = await postForm(t, form, "/register", {
      email: uniqueEmail("limit"),
      password: STRONG_PASSWORD,
    });
    expect(third.statusCode).toBe(303);

    const email = uniqueEmail("limited");
    const refused = await postForm(t, form, "/register", { email, password: STRONG_PASSWORD, name: "Kept" });
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    expect(refused.headers["content-type"]).toMatch(/^text\/html/);
    expect(refused.body).toMatch(
      /role="alert"[^>]*>\s*<p>Too many attempts\. Please wait and try again\. Try again in (\d+ seconds?|1 minute)\./,
    );
    expect(refused.body).toContain(`value="${email}"`);
    expect(refused.body).toContain('value="Kept"');
    expect(refused.body).not.toContain(STRONG_PASSWORD);
  });

  it("limits the password check too, and refuses it without the form's CSRF token", async () => {
    const form = await openForm(t, "/register");
    const withoutToken = await postForm(t, { ...form, csrf: "forged" }, "/register/password-check", {
      password: "Password1",
    });
    expect(withoutToken.statusCode).toBe(403);
    let last: LightMyRequestResponse | undefined;
    for (let attempt = 0; attempt < 4; attempt++) {
      last = await postForm(t, form, "/register/password-check", { password: "Password1" });
      if (last.statusCode === 429) break;
      expect(last.json()).toEqual({ weaknesses: ["common"] });
      expect(last.headers["cache-control"]).toBe("no-store");
    }
    expect(last?.statusCode).toBe(429);
    expect(Number(last?.headers["retry-after"])).toBeGreaterThan(0);
  });
});

describe("sign-up page: defaults", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  it("answers the policy's reasons for the typed password and address", async () => {
    const form = await openForm(t, "/register");
    const check = async (fields: Record<string, string>) =>
      (await postForm(t, form, "/register/password-check", fields)).json<{ weaknesses: string[] }>()
        .weaknesses;
    await expect(check({ password: "short" })).resolves.toEqual(["too_short"]);
    await expect(check({ password: "Password1" })).resolves.toEqual(["common"]);
    await expect(
      check({ password: "Ada.Lovelace@Example.com", email: "ada.lovelace@example.com" }),
    ).resolves.toEqual(["contains_email"]);
    await expect(check({ password: "x".repeat(257) })).resolves.toEqual(["too_long"]);
    await expect(check({ password: STRONG_PASSWORD, email: "ada@example.com" })).resolves.toEqual([]);
  });

  it("speaks the visitor's language, reasons included", async () => {
    const page = await t.get("/register", { "accept-language": "de-DE,de;q=0.9" });
    expect(page.body).toContain('<html lang="de"');
    expect(page.body).toContain("Konto erstellen");
    const form = await openForm(t, "/register");
    const refused = await t.app.inject({
      method: "POST",
      url: "/register",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "accept-language": "de",
        origin: PUBLIC_URL,
        cookie: form.cookie,
      },
      payload: new URLSearchParams({
        _csrf: form.csrf,
        email: uniqueEmail("de"),
        password: "kurz",
      }).toString(),
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain("Verwenden Sie mindestens 8 Zeichen.");
  });
});

describe("sign-up page: PORTCULLIS_EMAIL_TAKEN=notify", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { PORTCULLIS_EMAIL_TAKEN: "notify" } });
  });
  afterAll(async () => t.close());

  it("answers a new and a taken address alike, signs nobody in, and mails the owner", async () => {
    const taken = uniqueEmail("notify-taken");
    expect((await t.post("/v1/auth/register", { email: taken, password: STRONG_PASSWORD })).statusCode).toBe(
      202,
    );
    const fresh = uniqueEmail("notify-new");
    const form = await openForm(t, "/register");
    const answers = [
      await postForm(t, form, "/register", { email: fresh, password: STRONG_PASSWORD }),
      await postForm(t, form, "/register", { email: taken, password: "another-Strong-pass-42" }),
    ];
    for (const answer of answers) {
      expect(answer.statusCode).toBe(303);
      expect(answer.headers.location).toBe("/register/check-email");
      expect(sessionCookieSet(answer)).toBe(false);
    }
    const page = await t.get("/register/check-email");
    expect(page.body).toContain("Check your email");
    expect((await mailsTo(t, taken)).some((mail) => /tried to create/.test(mail.subject))).toBe(true);
    expect((await mailsTo(t, fresh)).some((mail) => /^Confirm your email address/.test(mail.subject))).toBe(
      true,
    );
  });
});

describe("sign-up page: PORTCULLIS_REQUIRE_VERIFIED_EMAIL", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { PORTCULLIS_REQUIRE_VERIFIED_EMAIL: "true" } });
  });
  afterAll(async () => t.close());

  it("creates the account but signs in nobody until the address is confirmed", async () => {
    const email = uniqueEmail("require-verified");
    const form = await openForm(t, "/register");
    const answer = await postForm(t, form, "/register", { email, password: STRONG_PASSWORD });
    expect(answer.statusCode).toBe(303);
    expect(answer.headers.location).toBe("/register/check-email");
    expect(sessionCookieSet(answer)).toBe(false);
    const login = await t.post("/v1/auth/login", { email, password: STRONG_PASSWORD });
    expect(login.json<{ code: string }>().code).toBe("email_not_verified");
  });
});
