/**
 * `portcullis config show [--json]` and `config schema`.
 *
 * `show` prints every setting's effective value and where it came from (environment, file,
 * default, unset) — secrets masked, passwords in URLs masked — then, when the configuration is
 * refused, its problems on stderr with exit code 1. `schema` prints the config file's JSON Schema
 * (`docs/portcullis.config.schema.json`).
 */
import type { TSchema } from "@sinclair/typebox";
import type { Command } from "commander";
import { ConfigError, loadConfig, REDACTED_VARIABLES } from "../config/config.js";
import {
  type ConfigFile,
  findConfigFile,
  PROVIDER_VARIABLE,
  renderConfigFileSchema,
  type SettingSource,
  settingSource,
} from "../config/config-file.js";
import { ConfigSchema } from "../config/config-schema.js";

export interface ShownSetting {
  name: string;
  /** Masked when secret; null when unset. */
  value: string | number | null;
  source: SettingSource;
}

const MASK = "********";
/** URLs whose password (only) is masked: the host and database stay readable. */
const URL_VARIABLES = new Set(["DATABASE_URL", "REDIS_URL", "SMTP_URL"]);

function isSecret(name: string): boolean {
  return REDACTED_VARIABLES.has(name) || name.endsWith("_CLIENT_SECRET");
}

/** `smtp://user:pw@host` → `smtp://user:********@host`; an unparsable URL is masked whole. */
function maskUrlPassword(value: string): string {
  try {
    const url = new URL(value);
    if (url.password === "") return value;
    url.password = MASK;
    return url.toString();
  } catch {
    return MASK;
  }
}

function mask(name: string, value: string | number): string | number {
  if (URL_VARIABLES.has(name)) return maskUrlPassword(String(value));
  return isSecret(name) ? MASK : value;
}

/** Every setting's effective value and its source, in schema order, then the social-login providers. */
export function describeSettings(
  env: Record<string, string | undefined>,
  file: ConfigFile | null,
): ShownSetting[] {
  const schemas = ConfigSchema.properties as Record<string, TSchema>;
  const rawValue = (name: string, source: SettingSource): string | number | null => {
    if (source === "environment") return env[name]?.trim() ?? null;
    if (source === "file") {
      const value = file?.values[name];
      return typeof value === "string" || typeof value === "number" ? value : JSON.stringify(value);
    }
    if (source === "default") return schemas[name]?.default as string | number;
    return null;
  };
  const providerNames = new Set(
    [...Object.keys(env), ...Object.keys(file?.values ?? {})].filter((name) => PROVIDER_VARIABLE.test(name)),
  );
  return [...Object.keys(schemas), ...[...providerNames].sort()].flatMap((name) => {
    const source = settingSource(name, env, file);
    if (PROVIDER_VARIABLE.test(name) && source === "unset") return [];
    const value = rawValue(name, source);
    return [{ name, value: value === null ? null : mask(name, value), source }];
  });
}

export function registerConfigCommand(config: Command): void {
  config
    .command("show")
    .description("print the effective configuration, secrets masked, and where each value came from")
    .option("--json", "one JSON document, for scripts")
    .action((options: { json?: boolean }) => {
      const env = process.env;
      const file = findConfigFile(env, process.cwd());
      const settings = describeSettings(env, file);
      let problems: readonly string[] = [];
      try {
        loadConfig(env, file);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        problems = error.problems;
      }
      if (options.json) {
        process.stdout.write(
          `${JSON.stringify({ file: file?.path ?? null, settings, problems }, null, 2)}\n`,
        );
      } else {
        const width = Math.max(...settings.map((setting) => setting.name.length));
        const lines = settings.map(
          (setting) =>
            `${setting.name.padEnd(width)}  ${setting.value === null ? "-" : String(setting.value)}  (${setting.source})`,
        );
        process.stdout.write(`# config file: ${file?.path ?? "none"}\n${lines.join("\n")}\n`);
      }
      if (problems.length > 0) {
        process.stderr.write(`${new ConfigError([...problems]).message}\n`);
        process.exitCode = 1;
      }
    });

  config
    .command("schema")
    .description("print the JSON Schema of portcullis.config.json (docs/portcullis.config.schema.json)")
    .action(() => {
      process.stdout.write(renderConfigFileSchema());
    });
}
