/**
 * User import and export in SQL. A batch is one transaction: read which addresses and
 * identities are taken, then insert the rest in a few multi-row statements, so 100,000 users
 * cost a few hundred statements rather than 100,000 round trips. `on conflict do nothing`
 * leaves an address another process took meanwhile to the account that has it; an identity
 * taken meanwhile rolls the batch back and it is tried again, where the first read sees it.
 * The export reads pages by id (keyset), so no query holds every user at once.
 */
import { randomUUID } from "node:crypto";
import type { Insertable, Kysely } from "kysely";
import type {
  ExportedUser,
  ImportedIdentity,
  ImportedUserOutcome,
  NewImportedUser,
  UserImportStore,
} from "../../domain/users/user-import.js";
import type { Database, IdentitiesTable, MfaTotpTable, UsersTable } from "./schema.js";
import { isUniqueViolation } from "./sql-errors.js";

/** Rows per statement: PostgreSQL allows 65,535 parameters per statement, SQLite 32,766. */
const ROWS_PER_STATEMENT = 1_000;
const ATTEMPTS = 3;

const identityKey = (identity: ImportedIdentity) => `${identity.provider}\u0000${identity.subject}`;

function chunks<T>(rows: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < rows.length; start += size) result.push(rows.slice(start, start + size));
  return result;
}

async function takenIdentities(db: Kysely<Database>, identities: ImportedIdentity[]): Promise<Set<string>> {
  const taken = new Set<string>();
  for (const chunk of chunks(identities, ROWS_PER_STATEMENT)) {
    const rows = await db
      .selectFrom("identities")
      .select(["provider", "subject"])
      .where(
        "subject",
        "in",
        chunk.map((identity) => identity.subject),
      )
      .execute();
    for (const row of rows) taken.add(identityKey(row));
  }
  return taken;
}

async function importBatch(
  trx: Kysely<Database>,
  batch: readonly NewImportedUser[],
  at: number,
): Promise<ImportedUserOutcome[]> {
  const existing = new Set<string>();
  for (const chunk of chunks(batch, ROWS_PER_STATEMENT)) {
    const rows = await trx
      .selectFrom("users")
      .select("email")
      .where(
        "email",
        "in",
        chunk.map((entry) => entry.user.email),
      )
      .execute();
    for (const row of rows) existing.add(row.email);
  }
  const claimed = await takenIdentities(
    trx,
    batch.flatMap((entry) => entry.user.identities),
  );
  const outcomes: ImportedUserOutcome[] = batch.map((entry) => {
    if (existing.has(entry.user.email)) return "exists";
    const keys = entry.user.identities.map(identityKey);
    if (keys.some((key) => claimed.has(key))) return "identity_taken";
    // Two users of one batch claiming the same identity: the first keeps it.
    for (const key of keys) claimed.add(key);
    return "inserted";
  });
  const candidates = batch.filter((_entry, index) => outcomes[index] === "inserted");

  const inserted = new Set<string>();
  for (const chunk of chunks(candidates, ROWS_PER_STATEMENT)) {
    const rows: Insertable<UsersTable>[] = chunk.map(({ id, user, totp }) => ({
      id,
      email: user.email,
      email_verified: user.emailVerified ? 1 : 0,
      name: user.name,
      password_hash: user.passwordHash,
      roles: JSON.stringify(user.roles),
      disabled_at: user.disabled ? at : null,
      created_at: user.createdAt ?? at,
      updated_at: at,
      mfa_enabled: totp === null ? 0 : 1,
    }));
    const written = await trx
      .insertInto("users")
      .values(rows)
      .onConflict((conflict) => conflict.column("email").doNothing())
      .returning("id")
      .execute();
    for (const row of written) inserted.add(row.id);
  }

  const identities: Insertable<IdentitiesTable>[] = [];
  const totps: Insertable<MfaTotpTable>[] = [];
  for (const { id, user, totp } of candidates) {
    if (!inserted.has(id)) continue;
    for (const identity of user.identities) {
      identities.push({
        id: randomUUID(),
        user_id: id,
        provider: identity.provider,
        subject: identity.subject,
        email: null,
        // As at a sign-in: an identity on an unproven address is unlinked once the owner proves it.
        linked_while_unverified: user.emailVerified ? 0 : 1,
        created_at: at,
      });
    }
    if (totp !== null)
      totps.push({
        user_id: id,
        secret_sealed: totp.sealed,
        key_id: totp.keyId,
        created_at: at,
        enabled_at: at,
        last_used_step: 0,
      });
  }
  for (const chunk of chunks(identities, ROWS_PER_STATEMENT))
    await trx.insertInto("identities").values(chunk).execute();
  for (const chunk of chunks(totps, ROWS_PER_STATEMENT))
    await trx.insertInto("mfa_totp").values(chunk).execute();

  // An address taken by another process between the read and the insert: that account keeps it.
  return outcomes.map((outcome, index) =>
    outcome === "inserted" && !inserted.has(batch[index]?.id ?? "") ? "exists" : outcome,
  );
}

export function createUserImportRepository(db: Kysely<Database>): UserImportStore {
  return {
    async importUsers(batch, at) {
      if (batch.length === 0) return [];
      for (let attempt = 1; ; attempt++) {
        try {
          return await db.transaction().execute((trx) => importBatch(trx, batch, at));
        } catch (error) {
          // Only an identity linked by a sign-in during the batch gets here; the retry reads it.
          if (!isUniqueViolation(error) || attempt >= ATTEMPTS) throw error;
        }
      }
    },

    async listUsersForExport(afterId, limit, withSecrets) {
      let query = db.selectFrom("users").selectAll().orderBy("id").limit(limit);
      if (afterId !== null) query = query.where("id", ">", afterId);
      const users = await query.execute();
      if (users.length === 0) return [];
      const ids = users.map((user) => user.id);
      const identities = await db
        .selectFrom("identities")
        .select(["user_id", "provider", "subject"])
        .where("user_id", "in", ids)
        .orderBy("created_at")
        .orderBy("id")
        .execute();
      const totps = withSecrets
        ? await db
            .selectFrom("mfa_totp")
            .select(["user_id", "secret_sealed", "key_id"])
            .where("user_id", "in", ids)
            .where("enabled_at", "is not", null)
            .execute()
        : [];
      const identitiesOf = new Map<string, ImportedIdentity[]>();
      for (const { user_id, provider, subject } of identities)
        identitiesOf.set(user_id, [...(identitiesOf.get(user_id) ?? []), { provider, subject }]);
      const totpOf = new Map(
        totps.map((row) => [row.user_id, { keyId: row.key_id, sealed: row.secret_sealed }]),
      );
      return users.map(
        (row): ExportedUser => ({
          id: row.id,
          email: row.email,
          emailVerified: row.email_verified === 1,
          name: row.name,
          roles: JSON.parse(row.roles) as string[],
          createdAt: Number(row.created_at),
          disabled: row.disabled_at !== null,
          passwordHash: withSecrets ? row.password_hash : null,
          totp: totpOf.get(row.id) ?? null,
          identities: identitiesOf.get(row.id) ?? [],
        }),
      );
    },
  };
}
