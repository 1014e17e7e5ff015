/**
 * Users brought over from another system (the `users import` command): the checks one record
 * must pass before it is written, and the port the store implements. Imports never overwrite:
 * an address that already has an account is skipped, which is what makes running the same
 * import twice change nothing. Password hashes are kept as they are when Portcullis can verify
 * them (`identifyPasswordHash`), and become argon2id at their owner's first sign-in.
 */
import { Secret } from "otpauth";
import type { SealedTotpSecret } from "../mfa/totp-secret-box.js";
import { PROVIDER_ID_PATTERN } from "../oauth/providers.js";
import { betterAuthScryptHash } from "../passwords/imported-password-hashes.js";
import { identifyPasswordHash } from "../passwords/password-hasher.js";
import { normalizeEmail } from "./email.js";

/** One user as a file describes them, every field checked and normalised. */
export interface ImportedUser {
  email: string;
  emailVerified: boolean;
  name: string | null;
  roles: string[];
  /** Epoch milliseconds; null when the file does not say (the import's own time is used). */
  createdAt: number | null;
  passwordHash: string | null;
  disabled: boolean;
  /** The raw TOTP secret; sealed before it is stored. */
  totpSecret: Uint8Array | null;
  identities: ImportedIdentity[];
}

export interface ImportedIdentity {
  provider: string;
  subject: string;
}

/** The fields a record may carry, as read from any format, before checks. */
export interface ImportRecord {
  email?: unknown;
  emailVerified?: unknown;
  name?: unknown;
  roles?: unknown;
  createdAt?: unknown;
  passwordHash?: unknown;
  disabled?: unknown;
  totpSecret?: unknown;
  identities?: unknown;
}

/** Why a line was refused: stable codes for the report file. */
export type ImportRefusalReason =
  | "malformed_line"
  | "unknown_field"
  | "invalid_email"
  | "invalid_field"
  | "unknown_role"
  | "unknown_hash_format"
  | "duplicate_email"
  | "identity_taken";

export interface ImportRefusal {
  ok: false;
  reason: ImportRefusalReason;
  /** For a person: which field and what is wrong with it. Never holds a hash or a secret. */
  detail: string;
  /** The normalised address, when the record had a valid one. */
  email?: string;
}

export type CheckedImportRecord = { ok: true; user: ImportedUser } | ImportRefusal;

export interface ImportCheckOptions {
  /** The deployment's roles (`knownRoles(config.roles)`). */
  knownRoles: readonly string[];
  /** Epoch milliseconds, to refuse creation times in the future. */
  now: number;
}

const MAX_NAME_LENGTH = 200;
const MAX_HASH_LENGTH = 1_024;
const MAX_IDENTITIES = 20;
const MAX_SUBJECT_LENGTH = 255;
/** RFC 4226 R6 asks 128 bits; older authenticator set-ups used 80, which users still carry. */
const MIN_TOTP_SECRET_BYTES = 10;
const MAX_TOTP_SECRET_BYTES = 64;
/** A day of clock skew between the systems, no more. */
const FUTURE_TOLERANCE_MS = 24 * 60 * 60 * 1000;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/;
const CONTROL = /\p{Cc}/u;
const BASE32 = /^[A-Z2-7]+=*$/;

class RecordProblem extends Error {
  constructor(
    readonly reason: ImportRefusalReason,
    readonly detail: string,
  ) {
    super(detail);
  }
}

const invalid = (field: string, what: string) => new RecordProblem("invalid_field", `${field}: ${what}`);

function optionalBoolean(value: unknown, field: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw invalid(field, "must be true or false");
  return value;
}

function checkName(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") throw invalid("name", "must be a string");
  const name = value.trim();
  if (name.length > MAX_NAME_LENGTH) throw invalid("name", `longer than ${MAX_NAME_LENGTH} characters`);
  if (CONTROL.test(name)) throw invalid("name", "holds a control character");
  return name === "" ? null : name;
}

function checkRoles(value: unknown, known: readonly string[]): string[] {
  if (value === undefined || value === null) return ["user"];
  if (!Array.isArray(value) || !value.every((role): role is string => typeof role === "string"))
    throw invalid("roles", "must be a list of role names");
  const roles = [...new Set(value)];
  const unknown = roles.filter((role) => !known.includes(role));
  if (unknown.length > 0)
    throw new RecordProblem("unknown_role", `roles: not configured here: ${unknown.join(", ")}`);
  return roles.length === 0 ? ["user"] : roles;
}

function checkCreatedAt(value: unknown, now: number): number | null {
  if (value === undefined || value === null || value === "") return null;
  let at = Number.NaN;
  if (typeof value === "number") at = value;
  else if (typeof value === "string" && /^\d{1,15}$/.test(value)) at = Number(value);
  else if (typeof value === "string" && ISO_8601.test(value.trim())) at = Date.parse(value.trim());
  if (!Number.isSafeInteger(at) || at < 0)
    throw invalid("createdAt", "must be an ISO 8601 time or milliseconds since 1970");
  if (at > now + FUTURE_TOLERANCE_MS) throw invalid("createdAt", "is in the future");
  return at;
}

/**
 * Other systems' spellings of hashes we verify: Django prefixes its argon2 and bcrypt hashes
 * with its hasher's name, and marks an unusable password with `!` (no password at all); Better
 * Auth writes scrypt as `SALT:KEY` in hex.
 */
function canonicalHash(value: string): string | null {
  if (value.startsWith("!")) return null;
  const betterAuth = betterAuthScryptHash(value);
  if (betterAuth !== null) return betterAuth;
  if (value.startsWith("argon2$argon2")) return value.slice("argon2".length);
  if (value.startsWith("bcrypt$$2")) return value.slice("bcrypt$".length);
  return value;
}

function checkPasswordHash(value: unknown): string | null {
  if (value === undefined || value === null || value === "") return null;
  if (typeof value !== "string") throw invalid("passwordHash", "must be a string");
  if (value.length > MAX_HASH_LENGTH)
    throw new RecordProblem("unknown_hash_format", "passwordHash: too long");
  const hash = canonicalHash(value.trim());
  if (hash === null) return null;
  const scheme = identifyPasswordHash(hash);
  if (scheme === null)
    throw new RecordProblem(
      "unknown_hash_format",
      "passwordHash: not argon2, bcrypt, PBKDF2 (Django or PHC), scrypt (PHC or Better Auth) or Firebase scrypt, or malformed",
    );
  return hash;
}

function checkTotpSecret(value: unknown): Uint8Array | null {
  if (value === undefined || value === null || value === "") return null;
  if (typeof value !== "string") throw invalid("totpSecret", "must be a base32 string");
  const base32 = value.replace(/[\s-]/g, "").toUpperCase();
  if (!BASE32.test(base32)) throw invalid("totpSecret", "must be base32 (RFC 4648)");
  const bytes = Secret.fromBase32(base32.replace(/=+$/, "")).bytes;
  if (bytes.length < MIN_TOTP_SECRET_BYTES || bytes.length > MAX_TOTP_SECRET_BYTES)
    throw invalid("totpSecret", `must be ${MIN_TOTP_SECRET_BYTES * 8} to ${MAX_TOTP_SECRET_BYTES * 8} bits`);
  return bytes;
}

function checkIdentities(value: unknown): ImportedIdentity[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid("identities", "must be a list of {provider, subject}");
  if (value.length > MAX_IDENTITIES) throw invalid("identities", `more than ${MAX_IDENTITIES}`);
  const identities = new Map<string, ImportedIdentity>();
  for (const entry of value as unknown[]) {
    const { provider, subject, ...rest } = (entry ?? {}) as Record<string, unknown>;
    if (typeof entry !== "object" || entry === null || Object.keys(rest).length > 0)
      throw invalid("identities", "each must be {provider, subject}");
    if (typeof provider !== "string" || !PROVIDER_ID_PATTERN.test(provider))
      throw invalid("identities", "provider must be a provider id (a-z, 0-9)");
    if (
      typeof subject !== "string" ||
      subject.length === 0 ||
      subject.length > MAX_SUBJECT_LENGTH ||
      CONTROL.test(subject)
    )
      throw invalid("identities", `subject must be 1 to ${MAX_SUBJECT_LENGTH} printable characters`);
    identities.set(`${provider}\u0000${subject}`, { provider, subject });
  }
  return [...identities.values()];
}

/**
 * Checks and normalises one record. Expected problems (a bad address, an unknown role, a hash
 * Portcullis cannot verify) are a refusal with a stable reason, never an exception.
 *
 * @example
 * checkImportRecord({ email: "Ada@Example.com", roles: ["admin"] }, { knownRoles: ["user", "admin"], now: Date.now() })
 * // { ok: true, user: { email: "ada@example.com", roles: ["admin"], emailVerified: false, … } }
 */
export function checkImportRecord(record: ImportRecord, options: ImportCheckOptions): CheckedImportRecord {
  if (typeof record.email !== "string" || record.email.trim() === "")
    return { ok: false, reason: "invalid_email", detail: "email: missing" };
  const email = normalizeEmail(record.email);
  if (email === null) return { ok: false, reason: "invalid_email", detail: "email: not a valid address" };
  try {
    return {
      ok: true,
      user: {
        email,
        emailVerified: optionalBoolean(record.emailVerified, "emailVerified") ?? false,
        name: checkName(record.name),
        roles: checkRoles(record.roles, options.knownRoles),
        createdAt: checkCreatedAt(record.createdAt, options.now),
        passwordHash: checkPasswordHash(record.passwordHash),
        disabled: optionalBoolean(record.disabled, "disabled") ?? false,
        totpSecret: checkTotpSecret(record.totpSecret),
        identities: checkIdentities(record.identities),
      },
    };
  } catch (error) {
    if (error instanceof RecordProblem)
      return { ok: false, reason: error.reason, detail: error.detail, email };
    throw error;
  }
}

/** An imported user as the store writes them. */
export interface NewImportedUser {
  id: string;
  user: ImportedUser;
  /** The TOTP secret, sealed; null without one. */
  totp: SealedTotpSecret | null;
}

/** What became of one user of a batch. */
export type ImportedUserOutcome = "inserted" | "exists" | "identity_taken";

/** One user as an export writes them. */
export interface ExportedUser {
  id: string;
  email: string;
  emailVerified: boolean;
  name: string | null;
  roles: string[];
  createdAt: number;
  disabled: boolean;
  passwordHash: string | null;
  /** The enabled TOTP secret, sealed; null without one. */
  totp: SealedTotpSecret | null;
  identities: ImportedIdentity[];
}

/** What the import and export commands need from storage. */
export interface UserImportStore {
  /**
   * Writes a batch in one transaction: each user whose address has no account yet, with their
   * identities and TOTP secret. A user whose address is taken is `exists` and left alone; one
   * whose identity already belongs to another account is `identity_taken` and not written.
   * Outcomes come back in the batch's order. `at` is the time of the import.
   */
  importUsers(users: readonly NewImportedUser[], at: number): Promise<ImportedUserOutcome[]>;
  /** Up to `limit` users in id order after `afterId` (null: from the start), for a streamed export. */
  listUsersForExport(afterId: string | null, limit: number, withSecrets: boolean): Promise<ExportedUser[]>;
}
