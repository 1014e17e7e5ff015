/**
 * The sign-in page's refusals, posted as a browser without JavaScript would (the form cookie and
 * its CSRF token): once the failed-login limit is reached the page answers 429 in words with the
 * wait and `Retry-After` — even for the right password, as the JSON API does — keeping the typed
 * address and never the password; a disabled account is told so in words, and nobody is signed in.
 */
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setCookies } from "../support/cookies.js";
import {
  createTestApp,
  PUBLIC_URL,
  STRONG_PASSWORD,
  type TestApp,
  uniqueEmail,
} from "../support/test-app.js";

const WRONG_PASSWORD = "not-the-password-42";

interface FormSession {
  cookie: string;
  csrf: string;
}

async function openLoginForm(t: TestApp): Promise<FormSession> {
  const response = await t.get("/login");
  expect(response.statusCode).toBe(200);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(response.body)?.[1];
  if (csrf === undefined) throw new Error("no CSRF field on /login");
  const cookie = setCookies(response)
    .map((entry) => `${entry.name}=${entry.value}`)
    .join("; ");
  return { cookie, csrf };
}

function postLogin(t: TestApp, form: FormSession, email: string, password: string) {
  return t.app.inject({
    method: "POST",
    url: "/login",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      origin: PUBLIC_URL,
      cookie: form.cookie,
    },
    payload: new URLSearchParams({ _csrf: form.csrf, email, password }).toString(),
  });
}

const signedIn = (response: LightMyRequestResponse) =>
  setCookies(response).some((cookie) => cookie.name === "pc_session" && cookie.value !== "");

/** The text of the page's `role="alert"` element, tags stripped. */
function alertOf(html: string): string {
  const alert = /role="alert"[^>]*>([\s\S]*?)<\/div>/.exec(html)?.[1] ?? "";
  return alert
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

describe("sign-in page: refusals in words", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { PORTCULLIS_LOGIN_RATE_LIMIT: "3/15m" } });
  });
  afterAll(async () => t.close());

  it("answers 429 with the wait in words once the failed-login limit is reached, even for the right password", async () => {
    const email = uniqueEmail("login-limit");
    await t.signUp(email);
    const form = await openLoginForm(t);
    for (let attempt = 0; attempt < 3; attempt++) {
      const wrong = await postLogin(t, form, email, WRONG_PASSWORD);
      expect(wrong.statusCode).toBe(401);
      expect(alertOf(wrong.body)).not.toBe("");
    }

    const refused = await postLogin(t, form, email, STRONG_PASSWORD);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers["content-type"]).toMatch(/^text\/html/);
    const wait = Number(refused.headers["retry-after"]);
    expect(wait).toBeGreaterThan(0);
    expect(alertOf(refused.body)).toMatch(
      /^Too many attempts\. Please wait and try again\. Try again in (\d+ seconds?|\d+ minutes?)\.$/,
    );
    expect(refused.body).toContain(`value="${email}"`);
    expect(refused.body).not.toContain(STRONG_PASSWORD);
    expect(signedIn(refused)).toBe(false);
  });

  it("says a disabled account is disabled, and signs nobody in", async () => {
    const email = uniqueEmail("login-disabled");
    const { user } = await t.signUp(email);
    const disabled = await t.services.userAdmin.updateUser(user.id, { disabled: true }, null);
    expect(disabled.ok).toBe(true);

    const form = await openLoginForm(t);
    const refused = await postLogin(t, form, email, STRONG_PASSWORD);
    expect(refused.statusCode).toBe(403);
    expect(alertOf(refused.body)).toBe("This account is disabled. Contact your administrator.");
    expect(refused.body).toContain(`value="${email}"`);
    expect(refused.body).not.toContain(STRONG_PASSWORD);
    expect(signedIn(refused)).toBe(false);
  });
});
