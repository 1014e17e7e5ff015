/**
 * Live password feedback on sign-up and reset; the server says the same when JavaScript is off.
 * For each `input[data-password-feedback]`: the length and "not your email" are judged at once,
 * as the person types; whether the password is on the breached list only the server knows, so a
 * short pause in typing asks `data-check-url` (the policy itself), whose answer then replaces the
 * local guess. The reasons appear in the field's polite live region, which its `aria-describedby`
 * names; the region is only rewritten when its words change, so screen readers are not flooded.
 */

const PAUSE_MS = 350;
const MIN_LOCAL_PART_LENGTH = 3;

interface Feedback {
  input: HTMLInputElement;
  region: HTMLElement;
  email: HTMLInputElement | null;
  messages: Record<string, string>;
  minLength: number;
  maxLength: number;
  checkUrl: string;
  csrfToken: string;
  shown: string;
  timer: number | undefined;
  /** Answers to older requests are dropped. */
  sequence: number;
}

for (const input of document.querySelectorAll<HTMLInputElement>("input[data-password-feedback]")) {
  attach(input);
}

function attach(input: HTMLInputElement): void {
  const region = document.getElementById(input.dataset.passwordFeedback ?? "");
  if (region === null) return;
  const emailId = input.dataset.emailField;
  const email = emailId === undefined ? null : (document.getElementById(emailId) as HTMLInputElement | null);
  const csrf = input.form?.querySelector<HTMLInputElement>('input[name="_csrf"]')?.value;
  const feedback: Feedback = {
    input,
    region,
    email,
    messages: parseMessages(input.dataset.messages),
    minLength: Number(input.dataset.minLength ?? "8"),
    maxLength: Number(input.dataset.maxLength ?? "256"),
    checkUrl: input.dataset.checkUrl ?? "",
    csrfToken: csrf ?? document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? "",
    shown: "",
    timer: undefined,
    sequence: 0,
  };
  const onChange = () => update(feedback);
  input.addEventListener("input", () => {
    // The reasons the server gave for the last submitted password no longer describe this one.
    document.getElementById(`${input.id}-error`)?.remove();
    input.removeAttribute("aria-invalid");
    input.setAttribute("aria-describedby", `${input.id}-hint ${region.id}`);
    onChange();
  });
  email?.addEventListener("input", () => {
    if (input.value !== "") onChange();
  });
}

function parseMessages(json: string | undefined): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(json ?? "{}");
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, string>) : {};
  } catch {
    return {};
  }
}

function update(feedback: Feedback): void {
  window.clearTimeout(feedback.timer);
  feedback.sequence++;
  const password = feedback.input.value;
  if (password === "") {
    show(feedback, []);
    return;
  }
  const local = localWeaknesses(feedback, password);
  if (feedback.checkUrl === "") {
    show(feedback, local);
    return;
  }
  // "Meets the rules" waits for the server's word on the breached list; a reason can show at once.
  show(feedback, local, local.length === 0);
  const sequence = feedback.sequence;
  feedback.timer = window.setTimeout(() => {
    void askServer(feedback, password).then((weaknesses) => {
      if (sequence === feedback.sequence) show(feedback, weaknesses ?? local);
    });
  }, PAUSE_MS);
}

/** A quick first answer; the server's (the policy itself) replaces it after a pause. */
function localWeaknesses(feedback: Feedback, password: string): string[] {
  const normalized = password.normalize("NFKC");
  const length = [...normalized].length;
  const weaknesses: string[] = [];
  if (length < feedback.minLength) weaknesses.push("too_short");
  if (length > feedback.maxLength) weaknesses.push("too_long");
  const address = (feedback.email?.value ?? "").trim().normalize("NFKC").toLowerCase();
  const candidate = normalized.toLowerCase();
  const localPart = address.slice(0, Math.max(0, address.lastIndexOf("@")));
  if (
    address !== "" &&
    (candidate === address || ([...localPart].length >= MIN_LOCAL_PART_LENGTH && candidate === localPart))
  ) {
    weaknesses.push("contains_email");
  }
  return weaknesses;
}

async function askServer(feedback: Feedback, password: string): Promise<string[] | null> {
  const body = new URLSearchParams({ _csrf: feedback.csrfToken, password });
  if (feedback.email !== null) body.set("email", feedback.email.value);
  try {
    const response = await fetch(feedback.checkUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body,
      credentials: "same-origin",
    });
    if (!response.ok) return null;
    const answer = (await response.json()) as { weaknesses?: unknown };
    return Array.isArray(answer.weaknesses) ? answer.weaknesses.map(String) : null;
  } catch {
    // Offline or refused: the local answer stays, and the server judges the form when it is sent.
    return null;
  }
}

function show(feedback: Feedback, weaknesses: string[], pending = false): void {
  const words =
    feedback.input.value === "" || pending
      ? []
      : weaknesses.length === 0
        ? [feedback.messages.ok ?? ""]
        : weaknesses.map((code) => feedback.messages[code] ?? code);
  const key = `${weaknesses.length === 0 ? "ok" : "weak"}:${words.join("\n")}`;
  if (key === feedback.shown) return;
  feedback.shown = key;
  feedback.region.className = `password-feedback ${weaknesses.length === 0 ? "ok" : "weak"}`;
  if (words.length === 0) {
    feedback.region.replaceChildren();
  } else if (weaknesses.length === 0) {
    const line = document.createElement("p");
    line.textContent = words[0] ?? "";
    feedback.region.replaceChildren(line);
  } else {
    const list = document.createElement("ul");
    for (const text of words) {
      const item = document.createElement("li");
      item.textContent = text;
      list.append(item);
    }
    feedback.region.replaceChildren(list);
  }
}
