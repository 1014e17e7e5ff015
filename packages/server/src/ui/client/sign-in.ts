/**
 * The sign-in pages' script: passkeys, the one part of signing in that needs JavaScript.
 *  - `/login`: "Sign in with a passkey", and passkey autofill (WebAuthn conditional mediation) on
 *    the email field, through the JSON API: `POST /v1/webauthn/authentication/options`, then
 *    `POST /v1/webauthn/authentication` with `transport: "cookie"` (the server sets the session
 *    cookie), then on to where the page was asked to go.
 *  - `/login/mfa`: "Use a passkey" as the second factor. The mfaToken stays in its HttpOnly
 *    cookie: the options come from `/login/mfa/passkey-options` and the assertion goes back to
 *    `/login/mfa` in the passkey form's hidden `webauthn` field, an ordinary form post.
 * The passkey controls stay hidden where the browser cannot use passkeys. A failure is said in
 * words in `#passkey-status`, as an alert.
 */
import {
  type AuthenticationResponseJSON,
  browserSupportsWebAuthn,
  browserSupportsWebAuthnAutofill,
  type PublicKeyCredentialRequestOptionsJSON,
  startAuthentication,
  WebAuthnAbortService,
} from "@simplewebauthn/browser";

/** A failure whose words are already known (from the server or the page). */
class SaidError extends Error {}

function csrfToken(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? "";
}

/** Says `message` in `#passkey-status`: a fresh `role="alert"` element, so it is announced each time. */
function showFailure(message: string): void {
  const status = document.getElementById("passkey-status");
  if (status === null) return;
  const alert = document.createElement("p");
  alert.className = "alert";
  alert.setAttribute("role", "alert");
  alert.textContent = message;
  status.replaceChildren(alert);
}

function clearStatus(): void {
  document.getElementById("passkey-status")?.replaceChildren();
}

async function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify(body),
  });
}

/** The words for a refused JSON API request: by its problem `code`, else `fallback`. */
async function problemMessage(response: Response, messages: Record<string, string>, fallback: string) {
  const problem = (await response.json().catch(() => null)) as { code?: unknown } | null;
  const code = typeof problem?.code === "string" ? problem.code : "";
  return Object.hasOwn(messages, code) ? (messages[code] ?? fallback) : fallback;
}

/**
 * Runs `ceremony` unless one is running already; says any failure in words. The button is marked
 * `aria-disabled` meanwhile rather than `disabled`, which would take the keyboard focus away.
 */
async function withButton(button: HTMLButtonElement, fallback: string, ceremony: () => Promise<void>) {
  if (button.getAttribute("aria-disabled") === "true") return;
  button.setAttribute("aria-disabled", "true");
  clearStatus();
  try {
    await ceremony();
  } catch (error) {
    showFailure(error instanceof SaidError ? error.message : fallback);
  } finally {
    button.removeAttribute("aria-disabled");
  }
}

/** `/login`: a passkey alone signs in. */
function setUpPasskeySignIn(button: HTMLButtonElement): void {
  const fallback = button.dataset.error ?? "";
  const messages = JSON.parse(button.dataset.messages ?? "{}") as Record<string, string>;
  const redirectTo = button.dataset.redirect ?? "";
  /** Counts presses of the button, so an autofill request still being prepared knows to stand down. */
  let presses = 0;

  async function options(): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const response = await postJson("/v1/webauthn/authentication/options", {});
    if (!response.ok) throw new SaidError(await problemMessage(response, messages, fallback));
    return (await response.json()) as PublicKeyCredentialRequestOptionsJSON;
  }

  async function finish(credential: AuthenticationResponseJSON): Promise<void> {
    const rememberMe = document.querySelector<HTMLInputElement>("#remember-me")?.checked === true;
    const response = await postJson("/v1/webauthn/authentication", {
      credential,
      rememberMe,
      transport: "cookie",
    });
    if (!response.ok) throw new SaidError(await problemMessage(response, messages, fallback));
    // The page only renders an allowed target in data-redirect; GET /login would say the same.
    window.location.assign(redirectTo === "" ? "/account" : redirectTo);
  }

  /**
   * Passkeys offered in the email field's autofill; waits until one is chosen. Until then nothing
   * is said: the person has asked for nothing, and the offer may end without them (another
   * ceremony, or a browser that ends it). Once a passkey was chosen, a failure is said.
   */
  async function offerAutofill(): Promise<void> {
    const run = presses;
    let credential: AuthenticationResponseJSON;
    try {
      if (!(await browserSupportsWebAuthnAutofill())) return;
      const optionsJSON = await options();
      // Starting it now would abort the ceremony the button has started meanwhile.
      if (run !== presses) return;
      credential = await startAuthentication({ optionsJSON, useBrowserAutofill: true });
    } catch {
      return;
    }
    try {
      await finish(credential);
    } catch (error) {
      showFailure(error instanceof SaidError ? error.message : fallback);
    }
  }

  button.addEventListener("click", () => {
    void withButton(button, fallback, async () => {
      // One ceremony at a time: the autofill request must end before the dialog's starts.
      presses += 1;
      WebAuthnAbortService.cancelCeremony();
      try {
        await finish(await startAuthentication({ optionsJSON: await options() }));
      } catch (error) {
        // Offer autofill again for the next try, then say what went wrong.
        void offerAutofill();
        throw error;
      }
    });
  });
  void offerAutofill();
}

/** `/login/mfa`: a passkey as the second factor, submitted with the page's own form. */
function setUpPasskeySecondFactor(button: HTMLButtonElement): void {
  const form = button.form;
  const field = form?.elements.namedItem("webauthn");
  if (form === null || !(field instanceof HTMLInputElement)) return;
  const fallback = button.dataset.error ?? "";

  button.addEventListener("click", () => {
    void withButton(button, fallback, async () => {
      const response = await fetch("/login/mfa/passkey-options", {
        method: "POST",
        credentials: "same-origin",
        headers: { accept: "application/json" },
        // The page's CSRF token travels as `_csrf` in a form body, like every form of these pages.
        body: new URLSearchParams({ _csrf: csrfToken() }),
      });
      if (!response.ok) {
        const body = (await response.json().catch(() => null)) as { message?: unknown } | null;
        throw new SaidError(typeof body?.message === "string" ? body.message : fallback);
      }
      const optionsJSON = (await response.json()) as PublicKeyCredentialRequestOptionsJSON;
      field.value = JSON.stringify(await startAuthentication({ optionsJSON }));
      form.submit();
    });
  });
}

function start(): void {
  const supported = browserSupportsWebAuthn();
  const signIn = document.getElementById("passkey-sign-in");
  const secondFactor = document.getElementById("passkey-second-factor");
  if (!supported) {
    // Only the second factor says why: there the person may have expected the button.
    if (secondFactor !== null) document.getElementById("passkey-unsupported")?.removeAttribute("hidden");
    return;
  }
  document.getElementById("passkey-area")?.removeAttribute("hidden");
  if (signIn instanceof HTMLButtonElement) setUpPasskeySignIn(signIn);
  if (secondFactor instanceof HTMLButtonElement) setUpPasskeySecondFactor(secondFactor);
}

start();
