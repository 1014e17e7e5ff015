#!/usr/bin/env node
/**
 * The `portcullis` command line (`npm run cli -- …`, `npx portcullis …` where the package is
 * installed), configured by the same environment as the server: `start` (the server itself, as
 * `npm start` runs it), `users create`, `users import`, `users export`,
 * `users list|show|disable|enable|delete|set-roles|revoke-sessions`, `keys rotate`, `audit verify`,
 * `migrate`, `backup`, `restore`, `config show|schema|docs`, `doctor`. It reads
 * `portcullis.config.json` under the environment, as the server does (config/config-file.ts).
 * `docs/cli.md` has every command with an example.
 */
import { Command, InvalidArgumentError } from "commander";
import { createServices, type ResolvedConfig } from "../app.js";
import { ConfigError, loadConfig } from "../config/config.js";
import { renderConfigurationDoc } from "../config/config-docs.js";
import { findConfigFile } from "../config/config-file.js";
import { ensureSecret } from "../config/development-secret.js";
import { runServer } from "../run-server.js";
import { openSqlDatabase, type SqlDatabase } from "../store/sql/database.js";
import { registerBackupCommands } from "./backup-command.js";
import { registerClientsCommand } from "./clients-command.js";
import { registerConfigCommand } from "./config-command.js";
import { registerDoctorCommand } from "./doctor-command.js";
import { registerSecretsCommand } from "./secrets-command.js";
import { registerUsersAdminCommand } from "./users-admin-command.js";
import { registerUsersExportCommand } from "./users-export-command.js";
import { registerUsersImportCommand } from "./users-import-command.js";
import { registerWebhooksCommand } from "./webhooks-command.js";

const ROLE = /^[a-z][a-z0-9_:-]{0,63}$/;

function collectRole(value: string, previous: string[]): string[] {
  if (!ROLE.test(value)) throw new InvalidArgumentError("roles are lower-case letters, digits, _ : -");
  return previous.includes(value) ? previous : [...previous, value];
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

async function withServices<T>(
  work: (
    services: Awaited<ReturnType<typeof createServices>>,
    context: { config: ResolvedConfig; database: SqlDatabase },
  ) => Promise<T>,
): Promise<T> {
  let config: ResolvedConfig;
  try {
    config = ensureSecret(loadConfig(process.env, findConfigFile(process.env, process.cwd())), (message) =>
      process.stderr.write(`${message}\n`),
    );
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  const database: SqlDatabase = await openSqlDatabase(config.databaseUrl);
  const services = await createServices(config, { database });
  try {
    return await work(services, { config, database });
  } finally {
    await services.stop();
    await database.close();
  }
}

const program = new Command()
  .name("portcullis")
  .description("Portcullis authentication server: administration commands")
  .showHelpAfterError();

const users = program.command("users").description("manage users");
users
  .command("create")
  .description("create a user with a verified email")
  .requiredOption("--email <email>", "email address")
  .requiredOption("--password <password>", "password (8–256 characters, not a common one)")
  .option("--name <name>", "display name")
  .option("--role <role>", "a role to grant; repeat for several (default: user)", collectRole, [])
  .action(async (options: { email: string; password: string; name?: string; role: string[] }) => {
    await withServices(async (services) => {
      const roles = options.role.length > 0 ? [...new Set(["user", ...options.role])] : ["user"];
      const outcome = await services.users.createUser(
        {
          email: options.email,
          password: options.password,
          name: options.name ?? null,
          roles,
          emailVerified: true,
        },
        null,
      );
      if (!outcome.ok) {
        const reason =
          outcome.code === "weak_password"
            ? `weak_password (${outcome.weaknesses.join(", ")})`
            : outcome.code;
        fail(`Could not create the user: ${reason}`);
      }
      process.stdout.write(
        `${JSON.stringify({ id: outcome.user.id, email: outcome.user.email, roles: outcome.user.roles })}\n`,
      );
    });
  });

const keys = program.command("keys").description("manage signing keys");
keys
  .command("rotate")
  .description("add a new signing key; the old one stays in the JWKS until its tokens have expired")
  .action(async () => {
    await withServices(async (services) => {
      const kid = await services.signingKeys.rotate();
      process.stdout.write(`${JSON.stringify({ kid })}\n`);
    });
  });

const configCommand = program.command("config").description("configuration");
configCommand
  .command("docs")
  .description("print docs/configuration.md, generated from the configuration schema")
  .action(() => {
    process.stdout.write(renderConfigurationDoc());
  });

const audit = program.command("audit").description("the audit log");
audit
  .command("verify")
  .description("walk the audit log's hash chain; exits 1 and names the first broken link")
  .action(async () => {
    await withServices(async (services) => {
      const verdict = await services.auditLog.verify();
      process.stdout.write(`${JSON.stringify(verdict)}\n`);
      if (!verdict.ok) {
        const { position, id, type } = verdict.brokenAt;
        const why = {
          content_changed: "its content does not match its hash (it was changed)",
          link_broken: `it does not follow event ${verdict.previous?.position} (an event between them was removed or rewritten)`,
          start_missing:
            "it is the first event but neither starts the chain nor follows the last pruning (earlier events were removed)",
        }[verdict.reason];
        process.stderr.write(`Audit chain broken at event ${position} (id ${id}, ${type}): ${why}.\n`);
        process.exitCode = 1;
        return;
      }
      process.stderr.write(
        `Audit chain intact: ${verdict.events} events; head ${verdict.head} (keep it elsewhere to detect truncation).\n`,
      );
    });
  });

program
  .command("migrate")
  .description("bring the database schema up to date (the server also does this at start)")
  .action(async () => {
    await withServices(async () => {
      process.stdout.write("Database is up to date.\n");
    });
  });

program
  .command("start")
  .description("start the server (what `npm start` runs); SIGTERM or SIGINT stops it cleanly")
  .action(async () => {
    await runServer();
  });

registerBackupCommands(program);
registerConfigCommand(configCommand);
registerDoctorCommand(program);
registerClientsCommand(program, withServices);
registerWebhooksCommand(program, withServices);
registerSecretsCommand(program, withServices);
registerUsersImportCommand(users, withServices);
registerUsersExportCommand(users, withServices);
registerUsersAdminCommand(users, withServices);

await program.parseAsync(process.argv);
