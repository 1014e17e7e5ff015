/** Signing keys in SQL; private parts arrive already sealed (encrypted) by the domain. */
import type { JsonWebKey } from "node:crypto";
import { type Kysely, PostgresAdapter, sql } from "kysely";
import type { SigningKeyStore } from "../../domain/persistence.js";
import type { SigningAlgorithm } from "../../domain/tokens/signing-key.js";
import type { Database } from "./schema.js";

/** The advisory lock key of the first signing key's creation ("PCKEYS" in ASCII). */
const SIGNING_KEYS_LOCK = 0x50434b455953n;

export function createSigningKeyRepository(db: Kysely<Database>): SigningKeyStore {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  return {
    async lockSigningKeys() {
      if (postgres)
        await sql`select pg_advisory_xact_lock(${SIGNING_KEYS_LOCK.toString()}::bigint)`.execute(db);
    },
    async listSigningKeys() {
      const rows = await db.selectFrom("signing_keys").selectAll().orderBy("created_at", "asc").execute();
      return rows.map((row) => ({
        kid: row.kid,
        alg: row.alg as SigningAlgorithm,
        publicJwk: row.public_jwk === null ? null : (JSON.parse(row.public_jwk) as JsonWebKey),
        privateKeySealed: row.private_key_sealed,
        createdAt: Number(row.created_at),
        retiredAt: row.retired_at === null ? null : Number(row.retired_at),
      }));
    },
    async insertSigningKey(key) {
      await db
        .insertInto("signing_keys")
        .values({
          kid: key.kid,
          alg: key.alg,
          public_jwk: key.publicJwk === null ? null : JSON.stringify(key.publicJwk),
          private_key_sealed: key.privateKeySealed,
          created_at: key.createdAt,
          retired_at: key.retiredAt,
        })
        .execute();
    },
    async retireSigningKeys(exceptKid, at) {
      await db
        .updateTable("signing_keys")
        .set({ retired_at: at })
        .where("kid", "!=", exceptKid)
        .where("retired_at", "is", null)
        .execute();
    },
    async deleteSigningKeysRetiredBefore(before) {
      const result = await db.deleteFrom("signing_keys").where("retired_at", "<", before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
