/** Every migration, in order. Listed in code (not read from a folder) so the built package needs no file scanning. */
import type { Migration, MigrationProvider } from "kysely";
import * as initial from "./0001-initial.js";

const migrations: Record<string, Migration> = {
  "0001-initial": initial,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
