/**
 * The pages' message catalogues: every file in `locales/` is one locale (adding a language is
 * adding a file there), loaded once at start. A person's locale is the one they chose with the
 * switcher (the `pc_lang` cookie), else the best match of `Accept-Language` (RFC 9110 §12.5.4),
 * else English. Operators may override single messages per locale with JSON files
 * (`<overrides>/messages/<code>.json`, nested like the catalogue; strings only).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Messages } from "./locales/en.js";

export type { Messages };

export interface Locale {
  code: string;
  name: string;
  messages: Messages;
}

export interface Catalogue {
  readonly locales: readonly Locale[];
  readonly fallback: Locale;
  /** The locale for a request: the chosen one (cookie) if known, else `Accept-Language`, else English. */
  negotiate(chosen: string | undefined, acceptLanguage: string | undefined): Locale;
  find(code: string): Locale | undefined;
}

export const LANGUAGE_COOKIE = "pc_lang";
const LOCALE_FILE = /^[a-z]{2,3}(-[A-Z]{2})?\.(js|ts)$/;

/** Loads every locale file of `locales/`, applying overrides from `overridesDir/messages/<code>.json`. */
export async function loadCatalogue(overridesDir: string | null = null): Promise<Catalogue> {
  const folder = new URL("./locales/", import.meta.url);
  const files = readdirSync(folder)
    .filter((file) => LOCALE_FILE.test(file))
    .sort();
  const locales: Locale[] = [];
  for (const file of files) {
    const module = (await import(new URL(file, folder).href)) as { default: Messages };
    const messages = applyOverrides(module.default, overridesDir, module.default.meta.code);
    locales.push({ code: messages.meta.code, name: messages.meta.name, messages });
  }
  return createCatalogue(locales);
}

export function createCatalogue(locales: Locale[]): Catalogue {
  const fallback = locales.find((locale) => locale.code === "en");
  if (fallback === undefined) throw new Error("i18n: the English catalogue (en) is missing");
  const byCode = new Map(locales.map((locale) => [locale.code.toLowerCase(), locale]));
  const find = (code: string) =>
    byCode.get(code.toLowerCase()) ?? byCode.get(code.toLowerCase().split("-")[0] ?? "");
  return {
    locales,
    fallback,
    find,
    negotiate(chosen, acceptLanguage) {
      if (chosen !== undefined) {
        const locale = byCode.get(chosen.toLowerCase());
        if (locale !== undefined) return locale;
      }
      for (const tag of preferredLanguages(acceptLanguage)) {
        const locale = find(tag);
        if (locale !== undefined) return locale;
      }
      return fallback;
    },
  };
}

/** `de-CH, de;q=0.9, en;q=0.8` → `["de-CH", "de", "en"]`, by weight, without `q=0` and `*`. */
export function preferredLanguages(header: string | undefined): string[] {
  if (header === undefined || header.length > 512) return [];
  return header
    .split(",")
    .map((part, index) => {
      const [tag = "", ...params] = part.trim().split(";");
      const q = params.map((param) => /^\s*q=([01](\.\d{1,3})?)\s*$/.exec(param)?.[1]).find(Boolean);
      return { tag: tag.trim(), weight: q === undefined ? 1 : Number(q), index };
    })
    .filter((entry) => /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(entry.tag) && entry.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.index - b.index)
    .map((entry) => entry.tag);
}

function applyOverrides(messages: Messages, overridesDir: string | null, code: string): Messages {
  if (overridesDir === null) return messages;
  const file = join(overridesDir, "messages", `${code}.json`);
  if (!existsSync(file)) return messages;
  let overrides: unknown;
  try {
    overrides = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`i18n: ${file} is not valid JSON (${(error as Error).message})`);
  }
  return mergeStrings(messages, overrides, file, "") as Messages;
}

/** A copy of `base` with the string leaves of `overrides` in place of its own; unknown keys are errors. */
function mergeStrings(base: unknown, overrides: unknown, file: string, path: string): unknown {
  if (typeof overrides === "string") {
    if (typeof base !== "string") throw new Error(`i18n: ${file}: ${path} is not a plain message`);
    return overrides;
  }
  if (typeof overrides !== "object" || overrides === null || Array.isArray(overrides)) {
    throw new Error(`i18n: ${file}: ${path || "/"} must be an object or a string`);
  }
  if (typeof base !== "object" || base === null) throw new Error(`i18n: ${file}: ${path} is not a group`);
  const merged: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(overrides)) {
    if (!Object.hasOwn(merged, key)) throw new Error(`i18n: ${file}: unknown message ${path}/${key}`);
    merged[key] = mergeStrings(merged[key], value, file, `${path}/${key}`);
  }
  return merged;
}
