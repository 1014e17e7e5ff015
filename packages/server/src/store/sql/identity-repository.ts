/** Social-login identities in SQL, unique per (provider, subject). */
import { type Kysely, type Selectable, sql } from "kysely";
import type { Identity } from "../../domain/oauth/identity.js";
import type { IdentityStore } from "../../domain/persistence.js";
import type { Database, IdentitiesTable } from "./schema.js";
import { isUniqueViolation } from "./sql-errors.js";

function toIdentity(row: Selectable<IdentitiesTable>): Identity {
  return {
    id: row.id,
    userId: row.user_id,
    provider: row.provider,
    subject: row.subject,
    email: row.email,
    linkedWhileUnverified: row.linked_while_unverified === 1,
    createdAt: Number(row.created_at),
  };
}

export function createIdentityRepository(db: Kysely<Database>): IdentityStore {
  return {
    async findIdentityByProviderSubject(provider, subject) {
      const row = await db
        .selectFrom("identities")
        .selectAll()
        .where("provider", "=", provider)
        .where("subject", "=", subject)
        .executeTakeFirst();
      return row === undefined ? undefined : toIdentity(row);
    },
    async insertIdentity(identity) {
      try {
        await db
          .insertInto("identities")
          .values({
            id: identity.id,
            user_id: identity.userId,
            provider: identity.provider,
            subject: identity.subject,
            email: identity.email,
            linked_while_unverified: identity.linkedWhileUnverified ? 1 : 0,
            created_at: identity.createdAt,
          })
          .execute();
        return "inserted";
      } catch (error) {
        if (isUniqueViolation(error)) return "identity_taken";
        throw error;
      }
    },
    async listIdentitiesOfUser(userId) {
      const rows = await db
        .selectFrom("identities")
        .selectAll()
        .where("user_id", "=", userId)
        .orderBy("created_at")
        .orderBy("id")
        .execute();
      return rows.map(toIdentity);
    },
    async findIdentityOfUser(userId, id) {
      const row = await db
        .selectFrom("identities")
        .selectAll()
        .where("id", "=", id)
        .where("user_id", "=", userId)
        .executeTakeFirst();
      return row === undefined ? undefined : toIdentity(row);
    },
    async deleteIdentityOfUser(userId, id) {
      const result = await db
        .deleteFrom("identities")
        .where("id", "=", id)
        .where("user_id", "=", userId)
        .executeTakeFirst();
      return result.numDeletedRows === 1n;
    },
    async lockSignInMethodsOfUser(userId) {
      // A no-op write: PostgreSQL holds the row lock until the transaction ends; SQLite takes its write lock.
      await db
        .updateTable("users")
        .set({ updated_at: sql<number>`updated_at` })
        .where("id", "=", userId)
        .execute();
    },
  };
}
