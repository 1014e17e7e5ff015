/**
 * The file formats `users import` reads, each turned into the same records
 * (`domain/users/user-import.ts` then checks them):
 * - `jsonl`: Portcullis's own, one JSON object per line, the fields of `users export`;
 * - `csv`: the same fields as columns under a header row, `roles` space-separated;
 * - `auth0`: Auth0's user export (JSON Lines: `email`, `email_verified`, `name`, `created_at`,
 *   `password_hash` / `custom_password_hash` as in its bulk import, or `passwordHash` as in the
 *   password-hash export its support sends);
 * - `firebase`: `firebase auth:export` output, JSON or CSV, with the project's hash parameters.
 * Unknown fields are refused in Portcullis's own formats (a misspelt `password_hash` would
 * otherwise import a user without their password) and ignored in the others'.
 */
import {
  type FirebaseHashParameters,
  firebaseScryptHash,
} from "../domain/passwords/imported-password-hashes.js";
import type { ImportRecord, ImportRefusalReason } from "../domain/users/user-import.js";
import { readCsvRecords, readJsonArrayObjects, readLines } from "./user-import-readers.js";

export const IMPORT_FORMATS = ["jsonl", "csv", "auth0", "firebase"] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** A record read from the file, or why its line could not be read. */
export type SourceItem =
  | { line: number; record: ImportRecord }
  | { line: number; refusal: { reason: ImportRefusalReason; detail: string } };

export interface ReadOptions {
  /** The Firebase project's parameters; needed for salted (Firebase scrypt) hashes. */
  firebase: FirebaseHashParameters | null;
}

/** The file cannot be imported at all (a CSV header naming unknown columns): the command exits 1. */
export class ImportFileError extends Error {
  override readonly name = "ImportFileError";
}

/** The fields (and CSV columns) of Portcullis's own format; `passwordSalt` (or `salt`) marks a Firebase hash. */
export const NATIVE_FIELDS = [
  "email",
  "emailVerified",
  "name",
  "roles",
  "createdAt",
  "passwordHash",
  "passwordSalt",
  "salt",
  "disabled",
  "totpSecret",
  "identities",
] as const;
type NativeField = (typeof NATIVE_FIELDS)[number];
const isNativeField = (name: string): name is NativeField =>
  (NATIVE_FIELDS as readonly string[]).includes(name);

const refuse = (line: number, reason: ImportRefusalReason, detail: string): SourceItem => ({
  line,
  refusal: { reason, detail },
});

/** Spreadsheet formula characters: the export writes `'` before them (see `escapeCsvText`). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * Guards a free-text CSV cell against formula injection when the file is opened in a
 * spreadsheet (OWASP "CSV Injection"): a leading `'` before `= + - @`, which the import removes.
 *
 * @example escapeCsvText("=HYPERLINK(…)") // "'=HYPERLINK(…)"
 */
export function escapeCsvText(value: string): string {
  return FORMULA_START.test(value) || (value.startsWith("'") && FORMULA_START.test(value.slice(1)))
    ? `'${value}`
    : value;
}

function unescapeCsvText(value: string): string {
  return value.startsWith("'") && FORMULA_START.test(value.slice(1)) ? value.slice(1) : value;
}

function parseObject(text: string): Record<string, unknown> | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `not JSON (${error instanceof SyntaxError ? error.message : "unreadable"})`;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "not a JSON object";
  return value as Record<string, unknown>;
}

/** A hash with a salt beside it is Firebase's scrypt: only the project's parameters make it verifiable. */
function firebasePasswordHash(
  hash: unknown,
  salt: unknown,
  options: ReadOptions,
): { hash: unknown } | { refusal: string } {
  if (salt === undefined || salt === null || salt === "") return { hash };
  if (typeof hash !== "string" || typeof salt !== "string")
    return { refusal: "passwordHash and its salt must be base64 strings" };
  if (options.firebase === null)
    return {
      refusal:
        "a salted hash is Firebase scrypt: pass the project's --firebase-signer-key, --firebase-salt-separator, --firebase-rounds and --firebase-mem-cost",
    };
  const built = firebaseScryptHash(options.firebase, salt, hash);
  return built === null
    ? { refusal: "not a Firebase scrypt hash of this project (wrong length or not base64)" }
    : { hash: built };
}

function nativeRecord(
  line: number,
  fields: Partial<Record<NativeField, unknown>>,
  options: ReadOptions,
): SourceItem {
  const { passwordSalt, salt, passwordHash, ...rest } = fields;
  const resolved = firebasePasswordHash(passwordHash, passwordSalt ?? salt, options);
  if ("refusal" in resolved) return refuse(line, "unknown_hash_format", `passwordHash: ${resolved.refusal}`);
  return { line, record: { ...rest, passwordHash: resolved.hash } };
}

async function* readNativeJsonLines(
  chunks: AsyncIterable<string>,
  options: ReadOptions,
): AsyncGenerator<SourceItem> {
  for await (const { line, text, tooLong } of readLines(chunks)) {
    if (tooLong) {
      yield refuse(line, "malformed_line", "the line is too long");
      continue;
    }
    if (text.trim() === "") continue;
    const object = parseObject(text);
    if (typeof object === "string") {
      yield refuse(line, "malformed_line", object);
      continue;
    }
    const unknown = Object.keys(object).filter((key) => !isNativeField(key));
    if (unknown.length > 0) {
      yield refuse(
        line,
        "unknown_field",
        `unknown field: ${unknown.map((key) => JSON.stringify(key)).join(", ")}`,
      );
      continue;
    }
    yield nativeRecord(line, object, options);
  }
}

function csvBoolean(value: string): boolean | string {
  const lower = value.toLowerCase();
  if (lower === "true" || lower === "1") return true;
  if (lower === "false" || lower === "0") return false;
  return value;
}

/** `provider:subject` entries separated by spaces; in a subject, `%` escapes (`%20`) as in a URL. */
function csvIdentities(value: string): unknown[] {
  return value
    .split(/\s+/)
    .filter(Boolean)
    .map((entry) => {
      const colon = entry.indexOf(":");
      if (colon <= 0) return { provider: entry, subject: "" };
      try {
        return { provider: entry.slice(0, colon), subject: decodeURIComponent(entry.slice(colon + 1)) };
      } catch {
        return { provider: entry.slice(0, colon), subject: "" };
      }
    });
}

/** The subject of an identity as a CSV cell writes it: whitespace and `%` escaped. */
export function csvIdentitySubject(subject: string): string {
  return subject.replace(/[%\s]/gu, (char) => encodeURIComponent(char));
}

function csvCell(column: NativeField, cell: string): unknown {
  if (cell === "") return undefined;
  switch (column) {
    case "emailVerified":
    case "disabled":
      return csvBoolean(cell);
    case "roles":
      return cell.split(/\s+/).filter(Boolean);
    case "identities":
      return csvIdentities(cell);
    case "email":
    case "name":
      return unescapeCsvText(cell);
    default:
      return cell;
  }
}

async function* readNativeCsv(
  chunks: AsyncIterable<string>,
  options: ReadOptions,
): AsyncGenerator<SourceItem> {
  let header: NativeField[] | null = null;
  for await (const { line, fields, problem } of readCsvRecords(chunks)) {
    if (header === null) {
      if (problem !== null) throw new ImportFileError(`CSV header (line ${line}): ${problem}`);
      const names = fields.map((name) => name.trim());
      const unknown = names.filter((name) => !isNativeField(name));
      if (unknown.length > 0)
        throw new ImportFileError(
          `CSV header: unknown column ${unknown.map((name) => JSON.stringify(name)).join(", ")}; columns are ${NATIVE_FIELDS.join(", ")}`,
        );
      if (!names.includes("email")) throw new ImportFileError("CSV header: there is no email column");
      if (new Set(names).size !== names.length)
        throw new ImportFileError("CSV header: a column appears twice");
      header = names as NativeField[];
      continue;
    }
    if (problem !== null) {
      yield refuse(line, "malformed_line", `not RFC 4180 CSV: ${problem}`);
      continue;
    }
    if (fields.length !== header.length) {
      yield refuse(line, "malformed_line", `${fields.length} fields where the header has ${header.length}`);
      continue;
    }
    const record: Partial<Record<NativeField, unknown>> = {};
    header.forEach((column, index) => {
      const value = csvCell(column, fields[index] ?? "");
      if (value !== undefined) record[column] = value;
    });
    yield nativeRecord(line, record, options);
  }
  if (header === null) throw new ImportFileError("the CSV file is empty: it needs a header row");
}

const AUTH0_HASH_ALGORITHMS = new Set(["bcrypt", "argon2", "pbkdf2"]);
const AUTH0_PROVIDERS: Record<string, string> = { "google-oauth2": "google", windowslive: "microsoft" };

function auth0PasswordHash(user: Record<string, unknown>): { hash: unknown } | { refusal: string } {
  const custom = user.custom_password_hash;
  if (custom !== undefined && custom !== null) {
    const { algorithm, hash } = custom as {
      algorithm?: unknown;
      hash?: { value?: unknown; encoding?: unknown };
    };
    if (typeof algorithm !== "string" || !AUTH0_HASH_ALGORITHMS.has(algorithm))
      return {
        refusal: `custom_password_hash algorithm ${JSON.stringify(algorithm)} is not supported (bcrypt, argon2, pbkdf2 are)`,
      };
    if (hash?.encoding !== undefined && hash.encoding !== "utf8")
      return { refusal: "custom_password_hash: the value must be utf8 (a PHC or bcrypt string)" };
    return { hash: hash?.value };
  }
  return { hash: user.password_hash ?? user.passwordHash };
}

function auth0Identities(identities: unknown): unknown[] {
  if (!Array.isArray(identities)) return [];
  return identities.flatMap((identity: unknown) => {
    const { provider, user_id: subject, isSocial } = (identity ?? {}) as Record<string, unknown>;
    if (isSocial !== true || typeof provider !== "string") return [];
    return [{ provider: AUTH0_PROVIDERS[provider] ?? provider, subject: String(subject) }];
  });
}

async function* readAuth0(chunks: AsyncIterable<string>): AsyncGenerator<SourceItem> {
  for await (const { line, text, tooLong } of readLines(chunks)) {
    if (tooLong) {
      yield refuse(line, "malformed_line", "the line is too long");
      continue;
    }
    if (text.trim() === "") continue;
    const user = parseObject(text);
    if (typeof user === "string") {
      yield refuse(line, "malformed_line", user);
      continue;
    }
    const password = auth0PasswordHash(user);
    if ("refusal" in password) {
      yield refuse(line, "unknown_hash_format", password.refusal);
      continue;
    }
    const createdAt = user.created_at as unknown;
    const verified = user.email_verified;
    yield {
      line,
      record: {
        email: user.email,
        emailVerified: verified === "true" ? true : verified === "false" ? false : verified,
        name:
          user.name ??
          ([user.given_name, user.family_name].filter((part) => typeof part === "string").join(" ") ||
            undefined),
        // The password-hash export writes MongoDB's `{"$date": …}`.
        createdAt:
          typeof createdAt === "object" && createdAt !== null
            ? (createdAt as { $date?: unknown }).$date
            : createdAt,
        passwordHash: password.hash,
        disabled: user.blocked === true ? true : undefined,
        identities: auth0Identities(user.identities),
      },
    };
  }
}

const FIREBASE_PROVIDERS: Record<string, string> = {
  "google.com": "google",
  "github.com": "github",
  "facebook.com": "facebook",
  "twitter.com": "twitter",
  "apple.com": "apple",
  "microsoft.com": "microsoft",
};
/** Column of each provider's `rawId` in Firebase's CSV export (its accountExporter). */
const FIREBASE_CSV_PROVIDER_COLUMNS: [number, string][] = [
  [7, "google"],
  [11, "facebook"],
  [15, "twitter"],
  [19, "github"],
];
const FIREBASE_CSV = {
  email: 1,
  emailVerified: 2,
  passwordHash: 3,
  salt: 4,
  name: 5,
  createdAt: 23,
  disabled: 26,
};

function firebaseRecord(
  line: number,
  user: {
    email: unknown;
    emailVerified: unknown;
    passwordHash: unknown;
    salt: unknown;
    name: unknown;
    createdAt: unknown;
    disabled: unknown;
    identities: unknown[];
  },
  options: ReadOptions,
): SourceItem {
  const resolved = firebasePasswordHash(user.passwordHash, user.salt, options);
  if ("refusal" in resolved) return refuse(line, "unknown_hash_format", `passwordHash: ${resolved.refusal}`);
  return {
    line,
    record: {
      email: user.email,
      emailVerified: user.emailVerified,
      name: user.name,
      createdAt: user.createdAt,
      passwordHash: resolved.hash,
      disabled: user.disabled,
      identities: user.identities,
    },
  };
}

async function* readFirebaseJson(
  chunks: AsyncIterable<string>,
  options: ReadOptions,
): AsyncGenerator<SourceItem> {
  for await (const { line, text, tooLong } of readJsonArrayObjects(chunks)) {
    if (tooLong) {
      yield refuse(line, "malformed_line", "the user is too long");
      continue;
    }
    const user = parseObject(text);
    if (typeof user === "string") {
      yield refuse(line, "malformed_line", user);
      continue;
    }
    const providers = Array.isArray(user.providerUserInfo) ? (user.providerUserInfo as unknown[]) : [];
    yield firebaseRecord(
      line,
      {
        email: user.email,
        emailVerified: user.emailVerified,
        passwordHash: user.passwordHash,
        salt: user.salt,
        name: user.displayName,
        createdAt: user.createdAt,
        disabled: user.disabled,
        identities: providers.flatMap((info) => {
          const { providerId, rawId } = (info ?? {}) as Record<string, unknown>;
          const provider = typeof providerId === "string" ? FIREBASE_PROVIDERS[providerId] : undefined;
          return provider === undefined || typeof rawId !== "string" ? [] : [{ provider, subject: rawId }];
        }),
      },
      options,
    );
  }
}

async function* readFirebaseCsv(
  chunks: AsyncIterable<string>,
  options: ReadOptions,
): AsyncGenerator<SourceItem> {
  for await (const { line, fields, problem } of readCsvRecords(chunks)) {
    if (problem !== null) {
      yield refuse(line, "malformed_line", `not CSV: ${problem}`);
      continue;
    }
    if (fields.length <= FIREBASE_CSV.createdAt) {
      yield refuse(line, "malformed_line", `${fields.length} fields; Firebase's export has at least 24`);
      continue;
    }
    const cell = (index: number) => (fields[index] === "" ? undefined : fields[index]);
    yield firebaseRecord(
      line,
      {
        email: cell(FIREBASE_CSV.email),
        emailVerified: csvBoolean(fields[FIREBASE_CSV.emailVerified] ?? ""),
        passwordHash: cell(FIREBASE_CSV.passwordHash),
        salt: cell(FIREBASE_CSV.salt),
        name: cell(FIREBASE_CSV.name),
        createdAt: cell(FIREBASE_CSV.createdAt),
        disabled:
          cell(FIREBASE_CSV.disabled) === undefined
            ? undefined
            : csvBoolean(fields[FIREBASE_CSV.disabled] ?? ""),
        identities: FIREBASE_CSV_PROVIDER_COLUMNS.flatMap(([column, provider]) => {
          const subject = cell(column);
          return subject === undefined ? [] : [{ provider, subject }];
        }),
      },
      options,
    );
  }
}

/** Re-yields the chunks after finding the first character that is not white space. */
async function peekFirstCharacter(
  chunks: AsyncIterable<string>,
): Promise<{ first: string | null; chunks: AsyncIterable<string> }> {
  const iterator = chunks[Symbol.asyncIterator]();
  const seen: string[] = [];
  let first: string | null = null;
  while (first === null) {
    const next = await iterator.next();
    if (next.done === true) break;
    seen.push(next.value);
    const match = /[^\s\uFEFF]/.exec(next.value);
    if (match !== null) first = match[0];
  }
  async function* replay(): AsyncGenerator<string> {
    yield* seen;
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) yield next.value;
  }
  return { first, chunks: replay() };
}

async function* readFirebase(
  chunks: AsyncIterable<string>,
  options: ReadOptions,
): AsyncGenerator<SourceItem> {
  const peeked = await peekFirstCharacter(chunks);
  yield* peeked.first === "{"
    ? readFirebaseJson(peeked.chunks, options)
    : readFirebaseCsv(peeked.chunks, options);
}

/**
 * The records of an import file, in file order, each with the line it starts on.
 * Throws `ImportFileError` when the file as a whole cannot be read (a bad CSV header).
 *
 * @example for await (const item of readImportRecords(createReadStream(file, "utf8"), "csv", { firebase: null })) …
 */
export function readImportRecords(
  chunks: AsyncIterable<string>,
  format: ImportFormat,
  options: ReadOptions,
): AsyncGenerator<SourceItem> {
  switch (format) {
    case "jsonl":
      return readNativeJsonLines(chunks, options);
    case "csv":
      return readNativeCsv(chunks, options);
    case "auth0":
      return readAuth0(chunks);
    case "firebase":
      return readFirebase(chunks, options);
  }
}
