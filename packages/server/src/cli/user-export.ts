/**
 * `users export`: every user in the format `users import` reads (JSON Lines, or CSV with a
 * header row), page by page, so the export streams however many users there are. Password
 * hashes and TOTP secrets are written only with `withSecrets`; identities (a provider and the
 * user's id there) are not secret and are always written.
 */
import { totpSecretBase32 } from "../domain/mfa/totp.js";
import type { SealedTotpSecret } from "../domain/mfa/totp-secret-box.js";
import type { ExportedUser, UserImportStore } from "../domain/users/user-import.js";
import { csvIdentitySubject, escapeCsvText } from "./user-import-formats.js";
import { csvLine } from "./user-import-readers.js";

export type ExportFormat = "jsonl" | "csv";

export interface UserExportDeps {
  store: UserImportStore;
  /** Opens a sealed TOTP secret (only called with `withSecrets`). */
  openTotp(sealed: SealedTotpSecret): Uint8Array;
}

export interface UserExportOptions {
  format: ExportFormat;
  withSecrets: boolean;
  pageSize?: number;
}

const DEFAULT_PAGE_SIZE = 1_000;
const PUBLIC_COLUMNS = [
  "email",
  "emailVerified",
  "name",
  "roles",
  "createdAt",
  "disabled",
  "identities",
] as const;
const SECRET_COLUMNS = ["passwordHash", "totpSecret"] as const;

function toJsonLine(user: ExportedUser, totpSecret: string | null): string {
  return `${JSON.stringify({
    email: user.email,
    emailVerified: user.emailVerified,
    ...(user.name === null ? {} : { name: user.name }),
    roles: user.roles,
    createdAt: new Date(user.createdAt).toISOString(),
    ...(user.disabled ? { disabled: true } : {}),
    ...(user.identities.length === 0 ? {} : { identities: user.identities }),
    ...(user.passwordHash === null ? {} : { passwordHash: user.passwordHash }),
    ...(totpSecret === null ? {} : { totpSecret }),
  })}\n`;
}

function toCsvLine(user: ExportedUser, totpSecret: string | null, withSecrets: boolean): string {
  const cells = [
    escapeCsvText(user.email),
    String(user.emailVerified),
    user.name === null ? "" : escapeCsvText(user.name),
    user.roles.join(" "),
    new Date(user.createdAt).toISOString(),
    String(user.disabled),
    user.identities.map(({ provider, subject }) => `${provider}:${csvIdentitySubject(subject)}`).join(" "),
  ];
  if (withSecrets) cells.push(user.passwordHash ?? "", totpSecret ?? "");
  return csvLine(cells);
}

/**
 * The export, line by line (for CSV the header comes first).
 *
 * @example await pipeline(Readable.from(exportUsers({ format: "jsonl", withSecrets: false }, deps)), createWriteStream(file));
 */
export async function* exportUsers(options: UserExportOptions, deps: UserExportDeps): AsyncGenerator<string> {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  if (options.format === "csv")
    yield csvLine(options.withSecrets ? [...PUBLIC_COLUMNS, ...SECRET_COLUMNS] : [...PUBLIC_COLUMNS]);
  let after: string | null = null;
  for (;;) {
    const page = await deps.store.listUsersForExport(after, pageSize, options.withSecrets);
    if (page.length === 0) return;
    for (const user of page) {
      const totpSecret =
        options.withSecrets && user.totp !== null ? totpSecretBase32(deps.openTotp(user.totp)) : null;
      yield options.format === "csv"
        ? toCsvLine(user, totpSecret, options.withSecrets)
        : toJsonLine(user, totpSecret);
    }
    after = page[page.length - 1]?.id ?? null;
    if (page.length < pageSize) return;
  }
}
