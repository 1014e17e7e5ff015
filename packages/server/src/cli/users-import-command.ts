/**
 * `portcullis users import FILE`: users from JSON Lines (default), CSV, an Auth0 export or a
 * Firebase export. Lines that cannot go in are listed on stderr and in a report file (JSON Lines:
 * `{line, reason, detail, email?}`), the others go in. Exit status: 0 when every line went in or
 * was already there, 2 when some were refused, 1 when the import could not run.
 */
import { once } from "node:events";
import {
  createReadStream,
  createWriteStream,
  fchmodSync,
  openSync,
  statSync,
  type WriteStream,
} from "node:fs";
import { basename } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import type { ResolvedConfig, Services } from "../app.js";
import { createTotpSecretBox } from "../domain/mfa/totp-secret-box.js";
import {
  type FirebaseHashParameters,
  validateFirebaseHashParameters,
} from "../domain/passwords/imported-password-hashes.js";
import type { SqlDatabase } from "../store/sql/database.js";
import { createUserImportRepository } from "../store/sql/user-import-repository.js";
import {
  DEFAULT_BATCH_SIZE,
  type ImportCounts,
  importUsers,
  type ReportedRefusal,
  uuidV7,
} from "./user-import.js";
import {
  IMPORT_FORMATS,
  ImportFileError,
  type ImportFormat,
  readImportRecords,
} from "./user-import-formats.js";

/** What a users command needs beyond the services. */
export interface UsersCommandContext {
  config: ResolvedConfig;
  database: SqlDatabase;
}

export type WithServicesAndContext = <T>(
  work: (services: Services, context: UsersCommandContext) => Promise<T>,
) => Promise<T>;

/** Refusals echoed on stderr; the report file has them all. */
const STDERR_REFUSALS = 100;
const PROGRESS_INTERVAL_MS = 500;

interface ImportCommandOptions {
  format: ImportFormat;
  report?: string;
  batchSize: number;
  firebaseSignerKey?: string;
  firebaseSaltSeparator?: string;
  firebaseRounds?: number;
  firebaseMemCost?: number;
}

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < 1)
    throw new InvalidArgumentError("a positive integer");
  return number;
}

/** Longer transactions than this would hold SQLite's write lock (and the server's writes) too long. */
const MAX_BATCH_SIZE = 10_000;

function batchSize(value: string): number {
  const number = positiveInteger(value);
  if (number > MAX_BATCH_SIZE) throw new InvalidArgumentError(`at most ${MAX_BATCH_SIZE}`);
  return number;
}

/** The four Firebase options together, or none of them; throws naming what is missing or wrong. */
function firebaseParameters(options: ImportCommandOptions): FirebaseHashParameters | null {
  const given = {
    "--firebase-signer-key": options.firebaseSignerKey,
    "--firebase-salt-separator": options.firebaseSaltSeparator,
    "--firebase-rounds": options.firebaseRounds,
    "--firebase-mem-cost": options.firebaseMemCost,
  };
  const missing = Object.entries(given)
    .filter(([, value]) => value === undefined)
    .map(([name]) => name);
  if (missing.length === 4) {
    if (options.format === "firebase")
      throw new ImportFileError(
        "--format firebase needs the project's password hash parameters: --firebase-signer-key, --firebase-salt-separator, --firebase-rounds, --firebase-mem-cost",
      );
    return null;
  }
  if (missing.length > 0)
    throw new ImportFileError(`the Firebase parameters come together; missing ${missing.join(", ")}`);
  const parameters = {
    signerKey: options.firebaseSignerKey ?? "",
    saltSeparator: options.firebaseSaltSeparator ?? "",
    rounds: options.firebaseRounds ?? 0,
    memCost: options.firebaseMemCost ?? 0,
  };
  try {
    validateFirebaseHashParameters(parameters);
  } catch (error) {
    throw new ImportFileError(error instanceof Error ? error.message : String(error));
  }
  return parameters;
}

async function write(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, "drain");
}

async function closeStream(stream: WriteStream): Promise<void> {
  await new Promise<void>((resolve, reject) =>
    stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.ceil(seconds % 60)} s`;
}

/** A line on a terminal, rewritten in place: records so far, share of the file read, time left. */
function createProgress(totalBytes: number, bytesRead: () => number, startedAt: number) {
  let lastAt = 0;
  let shown = false;
  return {
    update(counts: ImportCounts) {
      const now = Date.now();
      if (now - lastAt < PROGRESS_INTERVAL_MS) return;
      lastAt = now;
      const share = totalBytes === 0 ? 1 : Math.min(1, bytesRead() / totalBytes);
      const elapsed = (now - startedAt) / 1000;
      const left = share === 0 ? Number.POSITIVE_INFINITY : (elapsed / share) * (1 - share);
      process.stderr.write(
        `\r\x1b[K${counts.records.toLocaleString("en")} records, ${Math.floor(share * 100)}% of the file — about ${formatDuration(left)} left`,
      );
      shown = true;
    },
    clear() {
      if (shown) process.stderr.write("\r\x1b[K");
    },
  };
}

/** What the command checked and opened before the database: the run's inputs. */
interface ImportPlan {
  file: string;
  fileSize: number;
  options: ImportCommandOptions;
  firebase: FirebaseHashParameters | null;
  reportPath: string;
  reportFd: number;
}

async function runImport(
  plan: ImportPlan,
  services: Services,
  context: UsersCommandContext,
): Promise<number> {
  const { file, fileSize, options, firebase, reportPath, reportFd } = plan;
  const input = createReadStream(file, { encoding: "utf8" });
  const report = createWriteStream("", { fd: reportFd });
  const startedAt = Date.now();
  const progress = process.stderr.isTTY ? createProgress(fileSize, () => input.bytesRead, startedAt) : null;
  const box = createTotpSecretBox({ secret: context.config.secret });
  let counts: ImportCounts = { records: 0, inserted: 0, existing: 0, refused: 0 };
  let echoed = 0;
  let failure: unknown = null;

  const onRefusal = async (refusal: ReportedRefusal) => {
    await write(report, `${JSON.stringify(refusal)}\n`);
    if (echoed++ < STDERR_REFUSALS) {
      progress?.clear();
      process.stderr.write(`line ${refusal.line}: ${refusal.reason} — ${refusal.detail}\n`);
    }
  };

  try {
    counts = await importUsers(
      readImportRecords(input, options.format, { firebase }),
      { knownRoles: context.config.roles, batchSize: options.batchSize },
      {
        store: createUserImportRepository(context.database.db),
        clock: { now: () => Date.now() },
        newId: () => uuidV7(Date.now()),
        sealTotp: (secret) => box.seal(secret),
        onRefusal,
        onProgress: (soFar) => {
          // The same object throughout the run: kept for the audit event should the run stop half-way.
          counts = soFar;
          progress?.update(soFar);
        },
      },
    );
  } catch (error) {
    failure = error;
  } finally {
    input.destroy();
    await closeStream(report);
    progress?.clear();
  }

  if (failure instanceof ImportFileError) {
    process.stderr.write(`${failure.message}\n`);
    return 1;
  }
  // One event per run, with its counts, even for a run that stopped half-way (its batches are in).
  try {
    await services.persistence.audit.appendAuditEvent({
      type: "users.imported",
      userId: null,
      actorId: null,
      ip: null,
      userAgent: null,
      details: {
        file: basename(file),
        format: options.format,
        records: counts.records,
        inserted: counts.inserted,
        existing: counts.existing,
        refused: counts.refused,
        completed: failure === null,
      },
      at: Date.now(),
    });
  } catch (error) {
    failure ??= error;
  }

  if (failure !== null) {
    const message = failure instanceof Error ? failure.message : String(failure);
    process.stderr.write(
      `Import stopped: ${message}\nBatches written before it stay written; run the same import again to carry on.\n`,
    );
    return 1;
  }
  if (echoed > STDERR_REFUSALS)
    process.stderr.write(`… and ${echoed - STDERR_REFUSALS} more refused lines: see the report.\n`);
  const seconds = (Date.now() - startedAt) / 1000;
  process.stdout.write(
    `${JSON.stringify({ ...counts, report: reportPath, seconds: Math.round(seconds * 10) / 10 })}\n`,
  );
  process.stderr.write(
    `${counts.inserted} imported, ${counts.existing} already there, ${counts.refused} refused` +
      (counts.refused > 0 ? ` (listed in ${reportPath})` : "") +
      ".\n",
  );
  return counts.refused > 0 ? 2 : 0;
}

/**
 * Adds `users import` under the `users` command.
 *
 * @example registerUsersImportCommand(users, withServices);
 */
export function registerUsersImportCommand(users: Command, withServices: WithServicesAndContext): void {
  users
    .command("import")
    .description(
      "import users from a file; an address that already has an account is skipped, so running it twice changes nothing",
    )
    .argument("<file>", "the file to read")
    .addOption(
      new Option(
        "--format <format>",
        "jsonl (one JSON object a line), csv (header row), auth0 or firebase (their exports)",
      )
        .choices(IMPORT_FORMATS)
        .default("jsonl"),
    )
    .option("--report <file>", "where refused lines are listed (default: FILE.rejected.jsonl)")
    .option("--batch-size <n>", "users per transaction", batchSize, DEFAULT_BATCH_SIZE)
    .option(
      "--firebase-signer-key <base64>",
      "Firebase: base64_signer_key of the project's password hash parameters",
    )
    .option("--firebase-salt-separator <base64>", "Firebase: base64_salt_separator")
    .option("--firebase-rounds <n>", "Firebase: rounds", positiveInteger)
    .option("--firebase-mem-cost <n>", "Firebase: mem_cost", positiveInteger)
    .action(async (file: string, options: ImportCommandOptions) => {
      let firebase: FirebaseHashParameters | null;
      let size: number;
      try {
        firebase = firebaseParameters(options);
        const stat = statSync(file, { throwIfNoEntry: false });
        if (stat === undefined || !stat.isFile()) throw new ImportFileError(`${file} is not a file`);
        size = stat.size;
      } catch (error) {
        process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = 1;
        return;
      }
      const reportPath = options.report ?? `${file}.rejected.jsonl`;
      let reportFd: number;
      try {
        // Opened (and emptied) before anything is imported, so a report that cannot be written stops the run.
        reportFd = openSync(reportPath, "w", 0o600);
        // The report names addresses: readable by its owner alone, also when it already existed.
        fchmodSync(reportFd, 0o600);
      } catch (error) {
        process.stderr.write(
          `Cannot write the report: ${error instanceof Error ? error.message : String(error)}\n`,
        );
        process.exitCode = 1;
        return;
      }
      process.exitCode = await withServices((services, context) =>
        runImport({ file, fileSize: size, options, firebase, reportPath, reportFd }, services, context),
      );
    });
}
