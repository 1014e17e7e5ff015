/** API keys in SQL: only their SHA-256 is stored; found by their unique public prefix. */
import type { Kysely, Selectable } from "kysely";
import type { ApiKey } from "../../domain/api-keys/api-key.js";
import type { ApiKeyStore } from "../../domain/persistence.js";
import type { ApiKeysTable, Database } from "./schema.js";
import { isUniqueViolation } from "./sql-errors.js";

const nullableNumber = (value: number | null) => (value === null ? null : Number(value));

function toApiKey(row: Selectable<ApiKeysTable>): ApiKey {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    prefix: row.prefix,
    keyHash: row.key_hash,
    scopes: JSON.parse(row.scopes) as string[],
    createdAt: Number(row.created_at),
    expiresAt: nullableNumber(row.expires_at),
    lastUsedAt: nullableNumber(row.last_used_at),
    revokedAt: nullableNumber(row.revoked_at),
  };
}

export function createApiKeyRepository(db: Kysely<Database>): ApiKeyStore {
  return {
    async insertApiKey(key) {
      try {
        await db
          .insertInto("api_keys")
          .values({
            id: key.id,
            user_id: key.userId,
            name: key.name,
            prefix: key.prefix,
            key_hash: key.keyHash,
            scopes: JSON.stringify(key.scopes),
            created_at: key.createdAt,
            expires_at: key.expiresAt,
            last_used_at: key.lastUsedAt,
            revoked_at: key.revokedAt,
          })
          .execute();
        return "inserted";
      } catch (error) {
        if (isUniqueViolation(error)) return "prefix_taken";
        throw error;
      }
    },
    async findApiKeyByPrefix(prefix) {
      const row = await db.selectFrom("api_keys").selectAll().where("prefix", "=", prefix).executeTakeFirst();
      return row === undefined ? undefined : toApiKey(row);
    },
    async findApiKeyOfUser(userId, id) {
      const row = await db
        .selectFrom("api_keys")
        .selectAll()
        .where("id", "=", id)
        .where("user_id", "=", userId)
        .executeTakeFirst();
      return row === undefined ? undefined : toApiKey(row);
    },
    async listLiveApiKeysOfUser(userId) {
      const rows = await db
        .selectFrom("api_keys")
        .selectAll()
        .where("user_id", "=", userId)
        .where("revoked_at", "is", null)
        .orderBy("created_at", "desc")
        .orderBy("id", "desc")
        .execute();
      return rows.map(toApiKey);
    },
    async revokeApiKey(id, at) {
      const result = await db
        .updateTable("api_keys")
        .set({ revoked_at: at })
        .where("id", "=", id)
        .where("revoked_at", "is", null)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },
    async recordApiKeysLastUsed(uses) {
      if (uses.length === 0) return;
      const write = async (trx: Kysely<Database>) => {
        for (const { id, at } of uses) {
          // Several instances flush independently; the latest use wins.
          await trx
            .updateTable("api_keys")
            .set({ last_used_at: at })
            .where("id", "=", id)
            .where((eb) => eb.or([eb("last_used_at", "is", null), eb("last_used_at", "<", at)]))
            .execute();
        }
      };
      if (db.isTransaction) await write(db);
      else await db.transaction().execute(write);
    },
  };
}
