/** Binds the repositories to a database, or to one transaction of it. */
import { type Kysely, sql } from "kysely";
import type { Persistence, Stores } from "../../domain/persistence.js";
import { createAuditRepository } from "./audit-repository.js";
import type { Database } from "./schema.js";
import { createSessionRepository } from "./session-repository.js";
import { createSigningKeyRepository } from "./signing-key-repository.js";
import { createUserRepository } from "./user-repository.js";

function createStores(db: Kysely<Database>): Stores {
  return {
    users: createUserRepository(db),
    sessions: createSessionRepository(db),
    signingKeys: createSigningKeyRepository(db),
    audit: createAuditRepository(db),
  };
}

export function createSqlPersistence(db: Kysely<Database>): Persistence {
  return {
    ...createStores(db),
    transaction: (work) => db.transaction().execute((trx) => work(createStores(trx))),
    async ping() {
      try {
        await sql`select 1`.execute(db);
        return true;
      } catch {
        return false;
      }
    },
  };
}
