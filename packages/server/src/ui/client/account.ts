/**
 * The account page's script; the page works without it except for adding a passkey.
 *  - "Add a passkey": the WebAuthn ceremony through the JSON API on the cookie session
 *    (`POST /v1/webauthn/registration/options`, `startRegistration`, `POST /v1/webauthn/registration`,
 *    each with `X-CSRF-Token` from `<meta name="csrf-token">`), then back to the page with a notice.
 *    When the server wants a recent sign-in first, the form is submitted as it is, and the page
 *    asks for the password in place. The account's first second factor comes with backup codes:
 *    they are shown here, once, before going on.
 *  - Copy buttons (`data-copy` names the element whose text they copy).
 *  - Times (`<time data-local>`) in the reader's own time zone; the server writes them in UTC.
 */
import {
  browserSupportsWebAuthn,
  type PublicKeyCredentialCreationOptionsJSON,
  startRegistration,
} from "@simplewebauthn/browser";

/** A failure whose words are already known. */
class SaidError extends Error {}

function csrfToken(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? "";
}

function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: {
      "content-type": "application/json",
      accept: "application/json",
      "x-csrf-token": csrfToken(),
    },
    body: JSON.stringify(body),
  });
}

async function problemCode(response: Response): Promise<string> {
  const problem = (await response.json().catch(() => null)) as { code?: unknown } | null;
  return typeof problem?.code === "string" ? problem.code : "";
}

function parseRecord(json: string | undefined): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(json ?? "{}");
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, string>) : {};
  } catch {
    return {};
  }
}

function setUpPasskeyForm(form: HTMLFormElement): void {
  const button = form.querySelector<HTMLButtonElement>('button[type="submit"]');
  const status = document.getElementById("passkey-status");
  const alert = document.getElementById("passkey-error");
  if (button === null || status === null || alert === null) return;
  const data = form.dataset;
  const errors = parseRecord(data.errors);
  const fallback = errors.other ?? "";

  const say = (message: string) => {
    status.textContent = message;
  };
  const fail = (message: string) => {
    say("");
    alert.textContent = message;
    alert.hidden = false;
  };
  const wordsFor = (code: string) => (Object.hasOwn(errors, code) ? (errors[code] ?? fallback) : fallback);

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!browserSupportsWebAuthn()) {
      fail(data.unsupported ?? fallback);
      return;
    }
    alert.hidden = true;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    say(data.working ?? "");
    void addPasskey()
      .catch((error: unknown) => {
        // WebAuthnError keeps the DOMException's name: InvalidStateError is a passkey this
        // authenticator already holds (excludeCredentials), NotAllowedError a cancel or a timeout.
        const name = error instanceof Error ? error.name : "";
        if (error instanceof SaidError) fail(error.message);
        else if (name === "InvalidStateError") fail(data.exists ?? fallback);
        else if (name === "NotAllowedError") fail(data.cancelled ?? fallback);
        else fail(fallback);
      })
      .finally(() => {
        button.disabled = false;
        button.removeAttribute("aria-busy");
      });
  });

  async function addPasskey(): Promise<void> {
    const optionsResponse = await postJson(data.optionsUrl ?? "", {});
    if (!optionsResponse.ok) {
      const code = await problemCode(optionsResponse);
      if (code === "reauthentication_required") {
        // The server asks for the password in place (a page): hand it the form as it is.
        form.submit();
        return new Promise(() => {});
      }
      throw new SaidError(wordsFor(code));
    }
    const optionsJSON = (await optionsResponse.json()) as PublicKeyCredentialCreationOptionsJSON;
    const credential = await startRegistration({ optionsJSON });
    const name = (new FormData(form).get("name") ?? "").toString().trim();
    const registered = await postJson(data.registerUrl ?? "", {
      credential,
      ...(name === "" ? {} : { name }),
    });
    if (!registered.ok) throw new SaidError(wordsFor(await problemCode(registered)));
    const body = (await registered.json()) as { backupCodes?: unknown };
    const codes = Array.isArray(body.backupCodes)
      ? body.backupCodes.filter((code): code is string => typeof code === "string")
      : [];
    if (codes.length === 0) {
      window.location.assign(data.doneUrl ?? "/account");
      return;
    }
    showBackupCodes(codes);
    say("");
  }
}

/** The first second factor's backup codes, shown once in the page's panel. */
function showBackupCodes(codes: string[]): void {
  const panel = document.getElementById("passkey-backup-codes");
  const list = document.getElementById("passkey-codes-list");
  const download = document.getElementById("passkey-codes-download");
  if (panel === null || list === null) return;
  list.replaceChildren(
    ...codes.map((code) => {
      const item = document.createElement("li");
      const text = document.createElement("code");
      text.textContent = code;
      item.append(text);
      return item;
    }),
  );
  if (download instanceof HTMLAnchorElement) {
    const file = `${download.dataset.heading ?? ""}\n\n${codes.join("\n")}\n`;
    download.href = `data:text/plain;charset=utf-8,${encodeURIComponent(file)}`;
  }
  document.getElementById("passkey-add")?.setAttribute("hidden", "");
  panel.hidden = false;
  panel.querySelector<HTMLElement>("h3")?.setAttribute("tabindex", "-1");
  panel.querySelector<HTMLElement>("h3")?.focus();
}

function setUpCopyButton(button: HTMLButtonElement): void {
  const target = document.getElementById(button.dataset.copy ?? "");
  const status = document.getElementById(`${button.dataset.copy ?? ""}-copy-status`);
  if (target === null || !("clipboard" in navigator)) return;
  button.hidden = false;
  button.addEventListener("click", () => {
    // List items one a line; a single element as it reads.
    const items = [...target.querySelectorAll("li")];
    const text =
      items.length > 0
        ? items.map((item) => item.textContent?.trim() ?? "").join("\n")
        : (target.textContent ?? "");
    navigator.clipboard.writeText(text.trim()).then(
      () => {
        if (status !== null) status.textContent = button.dataset.copied ?? "";
      },
      () => {
        if (status !== null) status.textContent = button.dataset.copyFailed ?? "";
      },
    );
  });
}

function localiseTimes(): void {
  const lang = document.documentElement.lang || undefined;
  const dateTime = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
  const dateOnly = new Intl.DateTimeFormat(lang, { dateStyle: "medium" });
  for (const element of document.querySelectorAll<HTMLTimeElement>("time[data-local]")) {
    const at = new Date(element.dateTime);
    if (Number.isNaN(at.getTime())) continue;
    element.textContent = (element.dataset.local === "date" ? dateOnly : dateTime).format(at);
  }
}

const passkeyForm = document.getElementById("passkey-add");
if (passkeyForm instanceof HTMLFormElement) setUpPasskeyForm(passkeyForm);
for (const button of document.querySelectorAll<HTMLButtonElement>("button[data-copy]"))
  setUpCopyButton(button);
localiseTimes();
