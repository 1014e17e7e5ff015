/** Every migration, in order. Listed in code (not read from a folder) so the built package needs no file scanning. */
import type { Migration, MigrationProvider } from "kysely";
import * as initial from "./0001-initial.js";
import * as mailAndRecovery from "./0002-mail-and-recovery.js";
import * as apiKeysAndAudit from "./0003-api-keys-and-audit.js";
import * as cookieSessions from "./0004-cookie-sessions.js";

const migrations: Record<string, Migration> = {
  "0001-initial": initial,
  "0002-mail-and-recovery": mailAndRecovery,
  "0003-api-keys-and-audit": apiKeysAndAudit,
  "0004-cookie-sessions": cookieSessions,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
