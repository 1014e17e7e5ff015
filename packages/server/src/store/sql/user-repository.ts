/** Users in SQL. */
import type { Kysely, Selectable } from "kysely";
import type { UserStore } from "../../domain/persistence.js";
import type { User, UserWithPassword } from "../../domain/users/user.js";
import { compiledQuery } from "./compiled-query.js";
import type { Database, UsersTable } from "./schema.js";
import { isUniqueViolation } from "./sql-errors.js";

export function toUser(row: Selectable<UsersTable>): UserWithPassword {
  return {
    id: row.id,
    email: row.email,
    emailVerified: row.email_verified === 1,
    name: row.name,
    roles: JSON.parse(row.roles) as string[],
    disabledAt: row.disabled_at === null ? null : Number(row.disabled_at),
    mfaEnabled: row.mfa_enabled === 1,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    passwordHash: row.password_hash,
  };
}

export function withoutPassword(user: UserWithPassword): User {
  const { passwordHash: _omitted, ...rest } = user;
  return rest;
}

// On every password sign-in (compiled-query.ts).
const userByEmail = compiledQuery((db, email: string) =>
  db.selectFrom("users").selectAll().where("email", "=", email),
);

/** `changed` hears of every write to a user row (see sql-persistence.ts). */
export function createUserRepository(
  db: Kysely<Database>,
  changed: (userId: string) => void = () => {},
): UserStore {
  return {
    async findUserById(id) {
      const row = await db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
      return row === undefined ? undefined : withoutPassword(toUser(row));
    },
    async findUserWithPasswordById(id) {
      const row = await db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
      return row === undefined ? undefined : toUser(row);
    },
    async findUserWithPasswordByEmail(email) {
      const [row] = await userByEmail(db, email);
      return row === undefined ? undefined : toUser(row);
    },
    async insertUser(user) {
      try {
        await db
          .insertInto("users")
          .values({
            id: user.id,
            email: user.email,
            email_verified: user.emailVerified ? 1 : 0,
            name: user.name,
            password_hash: user.passwordHash,
            roles: JSON.stringify(user.roles),
            disabled_at: user.disabledAt,
            created_at: user.createdAt,
            updated_at: user.updatedAt,
          })
          .execute();
        return "inserted";
      } catch (error) {
        if (isUniqueViolation(error)) return "email_taken";
        throw error;
      }
    },
    async updateUserName(id, name, at) {
      await db.updateTable("users").set({ name, updated_at: at }).where("id", "=", id).execute();
      changed(id);
    },
    async updatePasswordHash(id, passwordHash, at) {
      await db
        .updateTable("users")
        .set({ password_hash: passwordHash, updated_at: at })
        .where("id", "=", id)
        .execute();
      changed(id);
    },
    async setUserRoles(id, roles, at) {
      await db
        .updateTable("users")
        .set({ roles: JSON.stringify(roles), updated_at: at })
        .where("id", "=", id)
        .execute();
      changed(id);
    },
    async changeUserEmail(id, email, at) {
      try {
        await db
          .updateTable("users")
          .set({ email, email_verified: 1, updated_at: at })
          .where("id", "=", id)
          .execute();
        changed(id);
        return "changed";
      } catch (error) {
        if (isUniqueViolation(error)) return "email_taken";
        throw error;
      }
    },
    async listUsersDisabledSince(since) {
      const rows = await db
        .selectFrom("users")
        .select(["id", "disabled_at"])
        .where("disabled_at", ">", since)
        .execute();
      return rows.map((row) => ({ id: row.id, disabledAt: Number(row.disabled_at) }));
    },
  };
}
