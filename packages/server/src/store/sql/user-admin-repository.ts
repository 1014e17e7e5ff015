/** The administrators' queries on users: search with keyset pagination, disable, delete. */
import { type Kysely, sql } from "kysely";
import type { UserAdminStore } from "../../domain/persistence.js";
import type { Database } from "./schema.js";
import { toUser, withoutPassword } from "./user-repository.js";

/** `LIKE` treats `%`, `_` (and here `\`) specially; searched text is matched literally. */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

export function createUserAdminRepository(db: Kysely<Database>): UserAdminStore {
  return {
    async searchUsers({ text, after, limit }) {
      let query = db.selectFrom("users").selectAll();
      if (text !== null) {
        const pattern = containsPattern(text);
        query = query.where(
          sql<boolean>`(lower(email) like ${pattern} escape '\\' or lower(coalesce(name, '')) like ${pattern} escape '\\')`,
        );
      }
      if (after !== null) {
        query = query.where((eb) =>
          eb.or([
            eb("created_at", ">", after.createdAt),
            eb.and([eb("created_at", "=", after.createdAt), eb("id", ">", after.id)]),
          ]),
        );
      }
      const rows = await query.orderBy("created_at", "asc").orderBy("id", "asc").limit(limit).execute();
      return rows.map((row) => withoutPassword(toUser(row)));
    },
    async setUserDisabled(id, disabledAt, at) {
      await db
        .updateTable("users")
        .set({ disabled_at: disabledAt, updated_at: at })
        .where("id", "=", id)
        .execute();
    },
    async deleteUser(id) {
      // Sessions, refresh tokens and API keys go by ON DELETE CASCADE (foreign keys are on).
      const result = await db.deleteFrom("users").where("id", "=", id).executeTakeFirst();
      return result.numDeletedRows === 1n;
    },
  };
}
