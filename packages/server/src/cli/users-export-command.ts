/**
 * `portcullis users export FILE`: every user, in the format `users import` reads. Password hashes
 * and TOTP secrets only with `--with-secrets`, confirmed by `--yes` or on a terminal. The file is
 * written owner-only under a temporary name and renamed when complete, so a half-written export
 * never stands where a whole one is expected. `-` writes to stdout.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { createInterface } from "node:readline/promises";
import { Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { type Command, Option } from "commander";
import type { Services } from "../app.js";
import { createTotpSecretBox } from "../domain/mfa/totp-secret-box.js";
import { createUserImportRepository } from "../store/sql/user-import-repository.js";
import { type ExportFormat, exportUsers } from "./user-export.js";
import type { UsersCommandContext, WithServicesAndContext } from "./users-import-command.js";

interface ExportCommandOptions {
  format: ExportFormat;
  withSecrets: boolean;
  yes: boolean;
}

/** Asks on the terminal; true only for "yes". */
async function confirmOnTerminal(question: string): Promise<boolean> {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await terminal.question(question)).trim().toLowerCase() === "yes";
  } finally {
    terminal.close();
  }
}

async function runExport(
  file: string,
  options: ExportCommandOptions,
  services: Services,
  context: UsersCommandContext,
): Promise<number> {
  const box = createTotpSecretBox({
    secret: context.config.secret,
    previousSecrets: context.config.previousSecrets,
  });
  let users = 0;
  const counted = async function* () {
    // Every line is a user, but for the CSV header.
    let header = options.format === "csv";
    for await (const line of exportUsers(
      { format: options.format, withSecrets: options.withSecrets },
      { store: createUserImportRepository(context.database.db), openTotp: (sealed) => box.open(sealed) },
    )) {
      if (header) header = false;
      else users++;
      yield line;
    }
  };
  const toStdout = file === "-";
  const temporary = toStdout
    ? null
    : join(dirname(file), `.${basename(file)}.${randomBytes(6).toString("hex")}.partial`);
  try {
    const destination: Writable =
      temporary === null ? process.stdout : createWriteStream(temporary, { flags: "wx", mode: 0o600 });
    await pipeline(Readable.from(counted()), destination, { end: !toStdout });
    if (temporary !== null) renameSync(temporary, file);
  } catch (error) {
    if (temporary !== null) rmSync(temporary, { force: true });
    process.stderr.write(`Export failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  await services.persistence.audit.appendAuditEvent({
    type: "users.exported",
    userId: null,
    actorId: null,
    ip: null,
    userAgent: null,
    details: { format: options.format, users, withSecrets: options.withSecrets },
    at: Date.now(),
  });
  const summary = `${JSON.stringify({ users, file, withSecrets: options.withSecrets })}\n`;
  if (toStdout) process.stderr.write(summary);
  else process.stdout.write(summary);
  return 0;
}

/**
 * Adds `users export` under the `users` command.
 *
 * @example registerUsersExportCommand(users, withServices);
 */
export function registerUsersExportCommand(users: Command, withServices: WithServicesAndContext): void {
  users
    .command("export")
    .description(
      "write every user to a file that `users import` reads (no password hashes unless --with-secrets)",
    )
    .argument("<file>", "the file to write (owner-only); - for stdout")
    .addOption(new Option("--format <format>", "jsonl or csv").choices(["jsonl", "csv"]).default("jsonl"))
    .option("--with-secrets", "include password hashes and TOTP secrets", false)
    .option("--yes", "confirm --with-secrets without asking", false)
    .action(async (file: string, options: ExportCommandOptions) => {
      if (options.withSecrets) {
        process.stderr.write(
          "Warning: the export will hold password hashes and TOTP secrets. Anyone with the file can try passwords offline and generate second-factor codes: keep it encrypted, and delete it after use.\n",
        );
        if (!options.yes) {
          if (process.stdin.isTTY !== true) {
            process.stderr.write("--with-secrets needs --yes when there is no terminal to confirm on.\n");
            process.exitCode = 1;
            return;
          }
          if (!(await confirmOnTerminal(`Type "yes" to write secrets to ${file}: `))) {
            process.stderr.write("Nothing exported.\n");
            process.exitCode = 1;
            return;
          }
        }
      }
      process.exitCode = await withServices((services, context) =>
        runExport(file, options, services, context),
      );
    });
}
