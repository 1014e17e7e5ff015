/** The administrators' queries on users: search with keyset pagination, disable, delete, role holders. */
import { type Kysely, PostgresAdapter, sql } from "kysely";
import type { UserAdminStore } from "../../domain/persistence.js";
import type { Database } from "./schema.js";
import { toUser, withoutPassword } from "./user-repository.js";

/** The advisory lock key of acts that could leave a role without holders ("PCROLES" in ASCII). */
const ROLE_HOLDERS_LOCK = 0x5043524f4c4553n;

/** `LIKE` treats `%`, `_` (and here `\`) specially; searched text is matched literally. */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

export function createUserAdminRepository(
  db: Kysely<Database>,
  changed: (userId: string) => void = () => {},
): UserAdminStore {
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
    async countUsers() {
      const row = await db
        .selectFrom("users")
        .select((eb) => eb.fn.countAll().as("count"))
        .executeTakeFirst();
      return Number(row?.count ?? 0);
    },
    async setUserDisabled(id, disabledAt, at) {
      await db
        .updateTable("users")
        .set({ disabled_at: disabledAt, updated_at: at })
        .where("id", "=", id)
        .execute();
      changed(id);
    },
    async deleteUser(id) {
      // Sessions, refresh tokens and API keys go by ON DELETE CASCADE (foreign keys are on).
      const result = await db.deleteFrom("users").where("id", "=", id).executeTakeFirst();
      changed(id);
      return result.numDeletedRows === 1n;
    },
    async lockRoleHolders() {
      // Held to commit: of two administrators deleting themselves at once, the second sees the first gone.
      if (db.getExecutor().adapter instanceof PostgresAdapter)
        await sql`select pg_advisory_xact_lock(${ROLE_HOLDERS_LOCK.toString()}::bigint)`.execute(db);
    },
    async hasOtherEnabledUserWithRole(role, exceptUserId) {
      // Roles are a JSON array of names without quotes or backslashes (ROLE_PATTERN), so the quoted
      // name matches exactly that role and no other: `"admin"` never matches `"admins"`.
      const pattern = containsPattern(JSON.stringify(role));
      const row = await db
        .selectFrom("users")
        .select("id")
        .where("disabled_at", "is", null)
        .where("id", "!=", exceptUserId)
        .where(sql<boolean>`roles like ${pattern} escape '\\'`)
        .limit(1)
        .executeTakeFirst();
      return row !== undefined;
    },
  };
}
