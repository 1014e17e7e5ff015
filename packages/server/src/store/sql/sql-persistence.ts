/** Binds the repositories to a database, or to one transaction of it. */
import { type Kysely, sql } from "kysely";
import type { Persistence, Stores } from "../../domain/persistence.js";
import { createApiKeyRepository } from "./api-key-repository.js";
import { createAuditRepository } from "./audit-repository.js";
import { createIdentityRepository } from "./identity-repository.js";
import { createMailOutboxRepository } from "./mail-outbox-repository.js";
import { createMfaRepository } from "./mfa-repository.js";
import { createRecoveryRepository } from "./recovery-repository.js";
import type { Database } from "./schema.js";
import { createSessionRepository } from "./session-repository.js";
import { createSignInHistoryRepository } from "./sign-in-history-repository.js";
import { createSigningKeyRepository } from "./signing-key-repository.js";
import { createUserAdminRepository } from "./user-admin-repository.js";
import { createUserRepository } from "./user-repository.js";
import { createWebAuthnCredentialRepository } from "./webauthn-credential-repository.js";

const PING_TIMEOUT_MS = 1_000;

function createStores(db: Kysely<Database>): Stores {
  return {
    users: createUserRepository(db),
    sessions: createSessionRepository(db),
    signingKeys: createSigningKeyRepository(db),
    audit: createAuditRepository(db),
    apiKeys: createApiKeyRepository(db),
    userAdmin: createUserAdminRepository(db),
    recovery: createRecoveryRepository(db),
    mailOutbox: createMailOutboxRepository(db),
    signIns: createSignInHistoryRepository(db),
    identities: createIdentityRepository(db),
    mfa: createMfaRepository(db),
    webauthn: createWebAuthnCredentialRepository(db),
  };
}

export function createSqlPersistence(db: Kysely<Database>): Persistence {
  return {
    ...createStores(db),
    transaction: (work) => db.transaction().execute((trx) => work(createStores(trx))),
    async ping() {
      // A database that has gone away may leave the query waiting for a connection: readiness answers within a second.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), PING_TIMEOUT_MS);
      });
      const query = sql`select 1`.execute(db).then(
        () => true,
        () => false,
      );
      try {
        return await Promise.race([query, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
