/**
 * `portcullis doctor [--json]`: checks a deployment from the host it runs on, with the same
 * environment and config file as the server, and says what to do about each problem. Exit code
 * 0 when no check failed (warnings allowed), 1 otherwise. `--json` prints `{ok, checks}`.
 */
import type { Command } from "commander";
import { type Config, ConfigError, loadConfig } from "../config/config.js";
import { findConfigFile } from "../config/config-file.js";
import {
  type CheckResult,
  type CheckStatus,
  checkConfiguration,
  checkDatabase,
  checkPublicUrl,
  checkRedis,
  checkSecrets,
  checkSettingNames,
  checkSmtp,
  checkSocialProviders,
} from "./doctor-checks.js";

export async function runDoctor(
  env: Record<string, string | undefined>,
  cwd: string,
): Promise<CheckResult[]> {
  const file = findConfigFile(env, cwd);
  const results = checkSettingNames(env, file);
  let config: Config | null = null;
  let problems: readonly string[] = [];
  try {
    config = loadConfig(env, file);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // The file's own problems are already named by the settings check.
    problems = error.problems.filter((problem) => !file?.problems.includes(problem));
  }
  results.push(checkConfiguration(problems, file));
  if (config === null) return results;
  results.push(checkPublicUrl(config), ...checkSecrets(config));
  // The network checks are independent: run together, each bounded by its own timeout.
  const [database, redis, smtp, social] = await Promise.all([
    checkDatabase(config),
    checkRedis(config),
    checkSmtp(config),
    checkSocialProviders(config),
  ]);
  return [...results, ...database, ...redis, smtp, ...social];
}

const MARKS: Record<CheckStatus, { mark: string; colour: string }> = {
  passed: { mark: "✔", colour: "\u001b[32m" },
  warning: { mark: "!", colour: "\u001b[33m" },
  failed: { mark: "✘", colour: "\u001b[31m" },
};

function renderText(results: readonly CheckResult[], colour: boolean): string {
  const paint = (status: CheckStatus, text: string) =>
    colour ? `${MARKS[status].colour}${text}\u001b[0m` : text;
  const lines = results.map((result) => {
    const head = `${paint(result.status, `${MARKS[result.status].mark} ${result.status.padEnd(7)}`)} ${result.check}: ${result.summary}`;
    return result.fix === undefined ? head : `${head}\n          → ${result.fix}`;
  });
  const count = (status: CheckStatus) => results.filter((result) => result.status === status).length;
  lines.push("", `${count("passed")} passed, ${count("warning")} warning(s), ${count("failed")} failed`);
  return `${lines.join("\n")}\n`;
}

export function registerDoctorCommand(program: Command): void {
  program
    .command("doctor")
    .description("check the configuration, database, Redis, SMTP and providers; exits 1 when a check fails")
    .option("--json", "one JSON document, for scripts")
    .action(async (options: { json?: boolean }) => {
      const results = await runDoctor(process.env, process.cwd());
      const ok = results.every((result) => result.status !== "failed");
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ ok, checks: results }, null, 2)}\n`);
      } else {
        const colour = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
        process.stdout.write(renderText(results, colour));
      }
      process.exitCode = ok ? 0 : 1;
    });
}
