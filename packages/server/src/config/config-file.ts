/**
 * `portcullis.config.json`: the settings of `ConfigSchema` written down in one file. Its keys are
 * the environment variables' own names (`"PORTCULLIS_PUBLIC_URL": "https://…"`), so a setting has
 * one name everywhere — in the environment, the file, the docs and every error — and a line moves
 * between a `.env` and the file unchanged. Values are JSON of the schema's types (integers as
 * numbers, everything else as strings). The environment overrides the file; `loadConfig` merges
 * the two and names a problem in the file by its path and JSON pointer (`file#/PORT`).
 *
 * The file is `PORTCULLIS_CONFIG` when set (it must exist), else `portcullis.config.json` in the
 * working directory when there is one, else none.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { TSchema } from "@sinclair/typebox";
import { ConfigSchema, OAuthProviderConfigSchema } from "./config-schema.js";

export const CONFIG_FILE_NAME = "portcullis.config.json";

/** Where the file is named; read from the environment only. */
export const CONFIG_FILE_VARIABLE = "PORTCULLIS_CONFIG";

/** `PORTCULLIS_OAUTH_<ID>_*`: the variables of one social-login provider (see social-login-config.ts). */
export const PROVIDER_VARIABLE = /^PORTCULLIS_OAUTH_([A-Z0-9]+)_(CLIENT_ID|CLIENT_SECRET|ISSUER|SCOPES)$/;

export interface ConfigFile {
  /** Absolute path, as problems name it. */
  readonly path: string;
  /** The settings it holds (`$schema` left out); empty when it could not be read. */
  readonly values: Readonly<Record<string, unknown>>;
  /** What is wrong with the file itself: unreadable, not JSON, not an object, unknown keys. */
  readonly problems: readonly string[];
}

/** RFC 6901: `~` and `/` escaped in a reference token. */
export function jsonPointer(key: string): string {
  return `/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`;
}

/** The settings a file may hold: every schema property but the one that names the file. */
export function fileSettingNames(): string[] {
  return Object.keys(ConfigSchema.properties).filter((name) => name !== CONFIG_FILE_VARIABLE);
}

export function isKnownSetting(name: string): boolean {
  return name in ConfigSchema.properties || PROVIDER_VARIABLE.test(name);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The known setting an unknown name was most likely meant to be, or null when none is close:
 * within a third of the name's length in edits (case ignored), so `PORTCULLIS_SECRT` finds
 * `PORTCULLIS_SECRET` but `PORTCULLIS_FOO` finds nothing.
 */
export function closestSettingName(name: string): string | null {
  const wanted = name.toUpperCase();
  let best: { name: string; distance: number } | null = null;
  for (const known of Object.keys(ConfigSchema.properties)) {
    const distance = editDistance(wanted, known);
    if (best === null || distance < best.distance) best = { name: known, distance };
  }
  return best !== null && best.distance <= Math.max(2, Math.floor(name.length / 3)) ? best.name : null;
}

/** `X: unknown setting; did you mean Y?` — the wording doctor and the loader share. */
export function describeUnknownSetting(name: string): string {
  const suggestion = closestSettingName(name);
  return suggestion === null ? "unknown setting" : `unknown setting; did you mean ${suggestion}?`;
}

/** The file to read for `env`, resolved against `cwd`; null when there is none. */
export function locateConfigFile(env: Record<string, string | undefined>, cwd: string): string | null {
  const named = env[CONFIG_FILE_VARIABLE]?.trim();
  if (named !== undefined && named !== "") return resolve(cwd, named);
  const inWorkingDirectory = resolve(cwd, CONFIG_FILE_NAME);
  return existsSync(inWorkingDirectory) ? inWorkingDirectory : null;
}

/** Reads and checks the shape of the file; never throws for a bad file, it reports it. */
export function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : `cannot be read (${code ?? "error"})`;
    return { path, values: {}, problems: [`${CONFIG_FILE_VARIABLE}: ${path}: ${why}`] };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // JSON.parse names the position, not the content: nothing secret is repeated.
    return { path, values: {}, problems: [`${path}: not valid JSON (${(error as Error).message})`] };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return { path, values: {}, problems: [`${path}: must hold a JSON object of settings`] };
  }
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(parsed)) {
    const where = `${path}#${jsonPointer(key)}`;
    if (key === "$schema") continue;
    if (key === CONFIG_FILE_VARIABLE) {
      problems.push(`${where}: names the file itself; set it in the environment only`);
    } else if (!isKnownSetting(key)) {
      // A misspelt setting silently ignored is how a deployment runs with a default it did not choose.
      problems.push(`${where}: ${describeUnknownSetting(key)}`);
    } else if (PROVIDER_VARIABLE.test(key) && typeof value !== "string") {
      problems.push(`${where}: Expected string`);
    } else {
      values[key] = value;
    }
  }
  return { path, values, problems };
}

/** The file `env` names or the working directory holds, read; null when there is none. */
export function findConfigFile(env: Record<string, string | undefined>, cwd: string): ConfigFile | null {
  const path = locateConfigFile(env, cwd);
  return path === null ? null : readConfigFile(path);
}

export type SettingSource = "environment" | "file" | "default" | "unset";

/** Where the value of `name` comes from: the environment overrides the file, which overrides the default. */
export function settingSource(
  name: string,
  env: Record<string, string | undefined>,
  file: ConfigFile | null,
): SettingSource {
  const fromEnv = env[name];
  if (fromEnv !== undefined && fromEnv.trim() !== "") return "environment";
  const fromFile = file?.values[name];
  if (fromFile !== undefined && !(typeof fromFile === "string" && fromFile.trim() === "")) return "file";
  const schema = (ConfigSchema.properties as Record<string, TSchema>)[name];
  return schema?.default !== undefined ? "default" : "unset";
}

/**
 * The published JSON Schema of the file (`docs/portcullis.config.schema.json`), generated from
 * the TypeBox schema so editors complete and check exactly what `loadConfig` accepts.
 */
export function renderConfigFileSchema(): string {
  const properties: Record<string, unknown> = {
    $schema: { type: "string", description: "This schema's URL or path, for editors." },
  };
  for (const name of fileSettingNames()) {
    properties[name] = (ConfigSchema.properties as Record<string, TSchema>)[name];
  }
  const patternProperties: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(OAuthProviderConfigSchema.properties)) {
    patternProperties[`^${name.replace("<ID>", "[A-Z0-9]+")}$`] = schema;
  }
  const document = {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "portcullis.config.json",
    description:
      "Portcullis configuration file. Keys are the environment variables' names; the environment overrides the file. Generated from packages/server/src/config/config-schema.ts.",
    type: "object",
    properties,
    patternProperties,
    additionalProperties: false,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
