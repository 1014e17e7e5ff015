/**
 * `portcullis users list|show|disable|enable|delete|set-roles|revoke-sessions`: the
 * administrators' acts on accounts from the command line, through the same service as the admin
 * API (`domain/admin/user-admin-service.ts`): the same transactions, revocations (published on the
 * bus, so running instances refuse the user's tokens at once), audit events — with no actor, as
 * the operator on the server acts — and the same refusals, the last enabled administrator's
 * included. A user is named by id or by email address.
 *
 * Output is a short table or sentence on a terminal, or with `--json` the admin API's JSON (one
 * document on stdout). A refusal goes to stderr (with `--json`, as `{"error": code, "message"}`)
 * with exit code 1.
 *
 *   users list [--query Q] [--limit N] [--cursor C] [--json]
 *   users show USER [--json]
 *   users disable USER | users enable USER [--json]
 *   users set-roles USER --role R [--role R]… [--json]
 *   users revoke-sessions USER [--json]
 *   users delete USER --yes [--json]      (on a terminal, asks instead when --yes is missing)
 */
import { createInterface } from "node:readline/promises";
import { styleText } from "node:util";
import { type Command, InvalidArgumentError } from "commander";
import type { ResolvedConfig, Services } from "../app.js";
import type { User } from "../domain/users/user.js";
import { presentAdminUser } from "../http/routes/admin/admin-routes.js";

/** Runs `work` with the services over the configured database, then closes them. */
export type WithServices = <T>(
  work: (services: Services, context: { config: ResolvedConfig }) => Promise<T>,
) => Promise<T>;

/** The command line acts as the operator: audited with no actor (and no client address). */
const OPERATOR = null;
const LIST_LIMIT_DEFAULT = 50;
const LIST_LIMIT_MAX = 1000;

interface OutputOptions {
  json?: boolean;
}

type PresentedUser = ReturnType<typeof presentAdminUser>;

/** Colour only for a terminal, and never under NO_COLOR (https://no-color.org). */
function paint(format: Parameters<typeof styleText>[0], text: string): string {
  const colour = process.stdout.isTTY === true && (process.env.NO_COLOR ?? "") === "";
  return colour ? styleText(format, text) : text;
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Says why on stderr and sets exit code 1 (not process.exit: the database closes on the way out). */
function refuse(options: OutputOptions, code: string, message: string): void {
  process.stderr.write(options.json ? `${JSON.stringify({ error: code, message })}\n` : `${message}\n`);
  process.exitCode = 1;
}

function parseLimit(value: string): number {
  const limit = Number(value);
  if (!/^[0-9]+$/.test(value) || limit < 1 || limit > LIST_LIMIT_MAX)
    throw new InvalidArgumentError(`a whole number from 1 to ${LIST_LIMIT_MAX}`);
  return limit;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** An id, or an address (anything with an `@`). */
async function findUser(services: Services, idOrEmail: string): Promise<User | undefined> {
  return idOrEmail.includes("@")
    ? services.userAdmin.findUserByEmail(idOrEmail)
    : services.userAdmin.getUser(idOrEmail);
}

function describe(user: { id: string; email: string }): string {
  return `${user.email} (${user.id})`;
}

function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd();
  return [paint("bold", line(headers)), ...rows.map(line)].join("\n");
}

function userRow(user: PresentedUser): string[] {
  return [
    user.id,
    user.email,
    user.roles.join(","),
    user.disabled ? "disabled" : "active",
    user.emailVerified ? "yes" : "no",
    user.mfaEnabled ? "yes" : "no",
    user.createdAt.slice(0, 10),
  ];
}

const USER_COLUMNS = ["ID", "EMAIL", "ROLES", "STATUS", "VERIFIED", "MFA", "CREATED"];

function renderUser(user: PresentedUser): string {
  const status = user.disabled ? paint("red", "disabled") : paint("green", "active");
  return [
    `id        ${user.id}`,
    `email     ${user.email}${user.emailVerified ? "" : " (not verified)"}`,
    `name      ${user.name ?? "-"}`,
    `roles     ${user.roles.join(", ")}`,
    `status    ${status}`,
    `mfa       ${user.mfaEnabled ? "on" : "off"}`,
    `created   ${user.createdAt}`,
  ].join("\n");
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

export function registerUsersAdminCommand(users: Command, withServices: WithServices): void {
  users
    .command("list")
    .description("list users in creation order, optionally only those whose email or name contains a text")
    .option("--query <text>", "only users whose email or name contains this (case-insensitive)")
    .option("--limit <n>", `at most this many (1–${LIST_LIMIT_MAX})`, parseLimit, LIST_LIMIT_DEFAULT)
    .option("--cursor <cursor>", "the next page: the cursor a previous list printed")
    .option("--json", "print the admin API's JSON: {users, nextCursor}")
    .action(async (options: { query?: string; limit: number; cursor?: string; json?: boolean }) => {
      await withServices(async (services) => {
        const page = await services.userAdmin.listUsers({
          limit: options.limit,
          ...(options.query === undefined ? {} : { text: options.query }),
          ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
        });
        if (!page.ok) return refuse(options, "invalid_cursor", "That is not a cursor a list printed.");
        const presented = page.users.map(presentAdminUser);
        if (options.json) return printJson({ users: presented, nextCursor: page.nextCursor });
        if (presented.length > 0)
          process.stdout.write(`${renderTable(USER_COLUMNS, presented.map(userRow))}\n`);
        const more = page.nextCursor === null ? "" : `; more with --cursor ${page.nextCursor}`;
        process.stdout.write(`${presented.length} ${presented.length === 1 ? "user" : "users"}${more}\n`);
      });
    });

  users
    .command("show")
    .description("show one user")
    .argument("<user>", "the user's id or email address")
    .option("--json", "print the admin API's JSON: {user}")
    .action(async (idOrEmail: string, options: OutputOptions) => {
      await withServices(async (services) => {
        const user = await findUser(services, idOrEmail);
        if (user === undefined) return refuse(options, "not_found", `No user ${idOrEmail}.`);
        const presented = presentAdminUser(user);
        if (options.json) return printJson({ user: presented });
        process.stdout.write(`${renderUser(presented)}\n`);
      });
    });

  for (const [name, disabled] of [
    ["disable", true],
    ["enable", false],
  ] as const) {
    users
      .command(name)
      .description(
        disabled
          ? "disable a user: signing in is refused and every session and token ends at once"
          : "enable a disabled user again",
      )
      .argument("<user>", "the user's id or email address")
      .option("--json", "print the admin API's JSON: {user}")
      .action(async (idOrEmail: string, options: OutputOptions) => {
        await withServices((services, { config }) =>
          updateUser(services, config, idOrEmail, { disabled }, options),
        );
      });
  }

  users
    .command("set-roles")
    .description("replace a user's roles (include `user` to keep it); ends the user's sessions")
    .argument("<user>", "the user's id or email address")
    .requiredOption("--role <role>", "a role the user is to hold; repeat for several", collect, [])
    .option("--json", "print the admin API's JSON: {user}")
    .action(async (idOrEmail: string, options: OutputOptions & { role: string[] }) => {
      await withServices((services, { config }) =>
        updateUser(services, config, idOrEmail, { roles: options.role }, options),
      );
    });

  users
    .command("revoke-sessions")
    .description("end every session of a user: their refresh tokens and access tokens are refused at once")
    .argument("<user>", "the user's id or email address")
    .option("--json", "print {userId, sessionsRevoked: true}")
    .action(async (idOrEmail: string, options: OutputOptions) => {
      await withServices(async (services) => {
        const user = await findUser(services, idOrEmail);
        if (user === undefined || !(await services.userAdmin.revokeSessions(user.id, OPERATOR)))
          return refuse(options, "not_found", `No user ${idOrEmail}.`);
        if (options.json) return printJson({ userId: user.id, sessionsRevoked: true });
        process.stdout.write(`Ended every session of ${describe(user)}.\n`);
      });
    });

  users
    .command("delete")
    .description("delete a user with their sessions, API keys, factors and identities (audit events stay)")
    .argument("<user>", "the user's id or email address")
    .option("--yes", "delete without asking (needed when not on a terminal)")
    .option("--json", "print {deleted: id}")
    .action(async (idOrEmail: string, options: OutputOptions & { yes?: boolean }) => {
      await withServices(async (services) => {
        const user = await findUser(services, idOrEmail);
        if (user === undefined) return refuse(options, "not_found", `No user ${idOrEmail}.`);
        if (options.yes !== true) {
          const confirmed =
            process.stdin.isTTY === true &&
            (await confirmOnTerminal(`Delete ${describe(user)} for good? Type "yes": `));
          if (!confirmed)
            return refuse(
              options,
              "confirmation_required",
              `Not deleted: deleting ${describe(user)} cannot be undone; add --yes to confirm.`,
            );
        }
        const outcome = await services.userAdmin.deleteUser(user.id, OPERATOR);
        if (outcome === "not_found") return refuse(options, "not_found", `No user ${idOrEmail}.`);
        if (outcome === "last_admin") return refuse(options, "last_admin", lastAdminMessage(user));
        if (options.json) return printJson({ deleted: user.id });
        process.stdout.write(`Deleted ${describe(user)}.\n`);
      });
    });
}

function lastAdminMessage(user: User): string {
  return `Refused: ${describe(user)} is the last enabled administrator; nobody could administer the server any more. Make another user an administrator first.`;
}

async function updateUser(
  services: Services,
  config: ResolvedConfig,
  idOrEmail: string,
  changes: { roles?: string[]; disabled?: boolean },
  options: OutputOptions,
): Promise<void> {
  const user = await findUser(services, idOrEmail);
  if (user === undefined) return refuse(options, "not_found", `No user ${idOrEmail}.`);
  const outcome = await services.userAdmin.updateUser(user.id, changes, OPERATOR);
  if (!outcome.ok) {
    if (outcome.code === "not_found") return refuse(options, "not_found", `No user ${idOrEmail}.`);
    if (outcome.code === "last_admin") return refuse(options, "last_admin", lastAdminMessage(user));
    return refuse(
      options,
      "unknown_roles",
      `Unknown roles: ${outcome.roles.join(", ")} (this server knows ${config.roles.join(", ")}; PORTCULLIS_ROLES adds more).`,
    );
  }
  const presented = presentAdminUser(outcome.user);
  if (options.json) return printJson({ user: presented });
  // The service changes nothing (and ends no session) when nothing would change.
  const what =
    changes.roles !== undefined
      ? sameRoles(user.roles, presented.roles)
        ? `already holds ${presented.roles.join(", ")}`
        : `now holds ${presented.roles.join(", ")}; their sessions ended`
      : changes.disabled === true
        ? user.disabledAt === null
          ? "is disabled; their sessions ended"
          : "was already disabled"
        : user.disabledAt === null
          ? "was already enabled"
          : "is enabled";
  process.stdout.write(`${describe(presented)} ${what}.\n`);
}

function sameRoles(before: readonly string[], after: readonly string[]): boolean {
  return before.length === after.length && before.every((role) => after.includes(role));
}
