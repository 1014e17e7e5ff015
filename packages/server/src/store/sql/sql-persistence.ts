/**
 * Binds the repositories to a database, or to one transaction of it. Every write to a user row
 * is reported to `onUserChanged` (so caches of users can drop it), and mail added to the outbox
 * to `onMailQueued` (so the delivery worker looks): at once outside a transaction, after the
 * commit inside one (before it, the worker's connection could not see the row yet), never for a
 * transaction that rolled back.
 */
import { type Kysely, sql } from "kysely";
import type { Persistence, Stores } from "../../domain/persistence.js";
import { createApiKeyRepository } from "./api-key-repository.js";
import { createAuditRepository } from "./audit-repository.js";
import type { SqlDatabase } from "./database.js";
import { createIdentityRepository } from "./identity-repository.js";
import { createMailOutboxRepository } from "./mail-outbox-repository.js";
import { createMfaRepository } from "./mfa-repository.js";
import { createOAuthClientRepository } from "./oauth-client-repository.js";
import { createRecoveryRepository } from "./recovery-repository.js";
import type { Database } from "./schema.js";
import { createSessionRepository } from "./session-repository.js";
import { createSignInHistoryRepository } from "./sign-in-history-repository.js";
import { createSigningKeyRepository } from "./signing-key-repository.js";
import { createSqliteRotations, type RotateRefreshToken } from "./sqlite-rotation-batch.js";
import { createUserAdminRepository } from "./user-admin-repository.js";
import { createUserRepository } from "./user-repository.js";
import { createWebAuthnCredentialRepository } from "./webauthn-credential-repository.js";
import { createWebhookRepository } from "./webhook-repository.js";

const PING_TIMEOUT_MS = 1_000;

export interface SqlPersistenceHooks {
  onUserChanged?: (userId: string) => void;
  onMailQueued?: () => void;
}

/** What a store reports as it writes; `createSqlPersistence` passes it on, after the commit in a transaction. */
interface WriteReports {
  userChanged(userId: string): void;
  mailQueued(): void;
}

function createStores(
  db: Kysely<Database>,
  reports: WriteReports,
  sqliteRotation: RotateRefreshToken | undefined,
): Stores {
  const changed = reports.userChanged;
  return {
    users: createUserRepository(db, changed),
    sessions: createSessionRepository(db, sqliteRotation),
    signingKeys: createSigningKeyRepository(db),
    audit: createAuditRepository(db),
    apiKeys: createApiKeyRepository(db),
    userAdmin: createUserAdminRepository(db, changed),
    recovery: createRecoveryRepository(db, changed),
    mailOutbox: createMailOutboxRepository(db, reports.mailQueued),
    signIns: createSignInHistoryRepository(db),
    identities: createIdentityRepository(db),
    mfa: createMfaRepository(db, changed),
    webauthn: createWebAuthnCredentialRepository(db),
    webhooks: createWebhookRepository(db),
    oauthClients: createOAuthClientRepository(db),
  };
}

export function createSqlPersistence(database: SqlDatabase, hooks: SqlPersistenceHooks = {}): Persistence {
  const { db } = database;
  const announced: WriteReports = {
    userChanged: hooks.onUserChanged ?? (() => {}),
    mailQueued: hooks.onMailQueued ?? (() => {}),
  };
  // SQLite's refresh rotations run on the connection itself (sqlite-rotation-batch.ts).
  const rotations = database.sqlite === undefined ? undefined : createSqliteRotations(db, database.sqlite);
  return {
    ...createStores(db, announced, rotations?.inBatch),
    async transaction(work) {
      const changed = new Set<string>();
      let mailQueued = false;
      const held: WriteReports = {
        userChanged: (id) => changed.add(id),
        mailQueued: () => {
          mailQueued = true;
        },
      };
      const result = await db
        .transaction()
        .execute((trx) => work(createStores(trx, held, rotations?.withinTransaction)));
      for (const id of changed) announced.userChanged(id);
      if (mailQueued) announced.mailQueued();
      return result;
    },
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
