/**
 * Renders mail intents with the templates: the built-in ones (mail-templates.ts), each part of
 * which a folder (PORTCULLIS_MAIL_TEMPLATES) may override with a file named after the kind:
 * `password-reset.subject.txt`, `password-reset.txt`, `password-reset.html`, … The folder is
 * read once at start and checked whole: an unknown file name, an unknown `{{placeholder}}`, an
 * unclosed one or a subject of several lines stops the start, every problem named at once.
 * Values are HTML-escaped in HTML and stripped of control characters everywhere, so a user
 * agent cannot add lines, headers or markup to a message.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Clock } from "../domain/clock.js";
import type { MailComposer, MailIntent, MailKind, MailOrigin } from "../domain/mail/mail-message.js";
import {
  COMMON_VARIABLES,
  DEFAULT_TEMPLATES,
  KIND_FILE_STEMS,
  KIND_VARIABLES,
  type MailTemplate,
} from "./mail-templates.js";

export interface MailComposerOptions {
  /** Shown in subjects and footers. */
  productName: string;
  publicUrl: string;
  clock: Clock;
  /** A folder of overrides; undefined for the built-in templates only. */
  templatesDir: string | undefined;
}

export class MailTemplateError extends Error {
  override readonly name = "MailTemplateError";
  constructor(
    readonly folder: string,
    readonly problems: string[],
  ) {
    super(
      `Invalid mail templates in ${folder} (PORTCULLIS_MAIL_TEMPLATES):\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
  }
}

const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}/g;
const MAX_USER_AGENT_LENGTH = 200;
const PARTS = [
  { part: "subject", suffix: ".subject.txt" },
  { part: "text", suffix: ".txt" },
  { part: "html", suffix: ".html" },
] as const;

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/** Control characters (CR, LF, NUL, bidi controls are format characters and go too) become spaces. */
function plain(value: string): string {
  return value.replace(/[\p{Cc}\p{Cf}]+/gu, " ").trim();
}

/** Fills `{{name}}` placeholders; every name has been checked at start, so a missing one is a bug. */
export function renderTemplate(
  template: string,
  values: Readonly<Record<string, string>>,
  encode: (value: string) => string,
): string {
  return template.replace(PLACEHOLDER, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`mail template placeholder {{${name}}} has no value`);
    return encode(value);
  });
}

/** What is wrong with one template text; [] when it is fine. */
export function templateProblems(text: string, allowed: readonly string[]): string[] {
  const problems: string[] = [];
  for (const match of text.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? "";
    if (!allowed.includes(name))
      problems.push(`unknown placeholder {{${name}}} (allowed: ${allowed.join(", ")})`);
  }
  if (text.replace(PLACEHOLDER, "").includes("{{"))
    problems.push("a `{{` that does not open a valid placeholder");
  return problems;
}

export const allowedVariables = (kind: MailKind): readonly string[] => [
  ...COMMON_VARIABLES,
  ...KIND_VARIABLES[kind],
];

/** The built-in templates with the folder's overrides applied; throws `MailTemplateError` naming every problem. */
export function loadMailTemplates(folder: string | undefined): Record<MailKind, MailTemplate> {
  const templates = structuredClone(DEFAULT_TEMPLATES);
  if (folder === undefined) return templates;
  const problems: string[] = [];
  let files: string[] = [];
  try {
    files = readdirSync(folder).sort();
  } catch (error) {
    throw new MailTemplateError(folder, [`cannot read the folder: ${(error as Error).message}`]);
  }
  const stems = new Map(Object.entries(KIND_FILE_STEMS).map(([kind, stem]) => [stem, kind as MailKind]));
  for (const file of files) {
    const shape = PARTS.find(({ suffix }) => file.endsWith(suffix));
    if (shape === undefined) continue;
    const stem = file.slice(0, -shape.suffix.length);
    const kind = stems.get(stem);
    if (kind === undefined) {
      problems.push(`${file}: no such mail (expected one of ${[...stems.keys()].join(", ")})`);
      continue;
    }
    let text: string;
    try {
      text = readFileSync(join(folder, file), "utf8");
    } catch (error) {
      problems.push(`${file}: cannot be read: ${(error as Error).message}`);
      continue;
    }
    if (shape.part === "subject") {
      text = text.trim();
      if (text === "" || /[\r\n]/.test(text)) problems.push(`${file}: a subject is one non-empty line`);
    }
    problems.push(...templateProblems(text, allowedVariables(kind)).map((problem) => `${file}: ${problem}`));
    templates[kind][shape.part] = text;
  }
  if (problems.length > 0) throw new MailTemplateError(folder, problems);
  return templates;
}

/** `2026-01-01 09:30 UTC`. */
function formatTime(at: number): string {
  return `${new Date(at).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** 3_600_000 → "1 hour", 86_400_000 → "24 hours", 900_000 → "15 minutes". */
export function describeDuration(ms: number): string {
  const hours = Math.round(ms / 3_600_000);
  if (hours >= 1) return hours === 1 ? "1 hour" : `${hours} hours`;
  const minutes = Math.max(1, Math.round(ms / 60_000));
  return minutes === 1 ? "1 minute" : `${minutes} minutes`;
}

function originValues(origin: MailOrigin): Record<string, string> {
  return {
    time: formatTime(origin.at),
    ip: origin.ip ?? "unknown",
    userAgent: origin.userAgent === null ? "unknown" : origin.userAgent.slice(0, MAX_USER_AGENT_LENGTH),
  };
}

/**
 * @example
 * const composer = createMailComposer({ productName: "Portcullis", publicUrl, clock, templatesDir: undefined });
 * composer.compose({ kind: "password_changed", to: "ada@example.com", origin }); // { to, subject, text, html }
 */
export function createMailComposer(options: MailComposerOptions): MailComposer {
  const templates = loadMailTemplates(options.templatesDir);

  function valuesFor(intent: MailIntent): Record<string, string> {
    const common = { productName: options.productName, email: intent.to, publicUrl: options.publicUrl };
    switch (intent.kind) {
      case "email_verification":
        return {
          ...common,
          link: intent.link,
          expiresIn: describeDuration(intent.expiresAt - options.clock.now()),
        };
      case "password_reset":
        return {
          ...common,
          ...originValues(intent.origin),
          link: intent.link,
          expiresIn: describeDuration(intent.expiresAt - options.clock.now()),
        };
      case "email_change":
        return {
          ...common,
          ...originValues(intent.origin),
          link: intent.link,
          expiresIn: describeDuration(intent.expiresAt - options.clock.now()),
        };
      case "email_change_notice":
      case "email_changed":
        return { ...common, ...originValues(intent.origin), newEmail: intent.newEmail };
      case "identity_linked":
        return {
          ...common,
          ...originValues(intent.origin),
          provider: intent.provider,
          providerEmail: intent.providerEmail ?? "no address given",
        };
      case "identities_unlinked":
        return { ...common, ...originValues(intent.origin), providers: intent.providers.join(", ") };
      case "password_changed":
      case "new_sign_in":
      case "registration_attempt":
      case "email_change_attempt":
      case "account_deleted":
        return { ...common, ...originValues(intent.origin) };
      case "mfa_reset":
        return { ...common, time: formatTime(intent.at) };
      case "webhook_disabled":
        return {
          ...common,
          webhookId: intent.webhookId,
          endpoint: intent.endpoint,
          description: intent.description ?? "no description",
          failingSince: formatTime(intent.failingSince),
        };
    }
  }

  return {
    compose(intent) {
      const template = templates[intent.kind];
      const values = Object.fromEntries(
        Object.entries(valuesFor(intent)).map(([name, value]) => [name, plain(value)]),
      );
      return {
        to: intent.to,
        subject: renderTemplate(template.subject, values, (value) => value),
        text: renderTemplate(template.text, values, (value) => value),
        html: renderTemplate(template.html, values, escapeHtml),
      };
    },
  };
}
