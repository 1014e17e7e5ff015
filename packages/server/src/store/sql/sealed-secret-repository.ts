/**
 * The rows that hold values sealed under keys derived from the server secret, for secret rotation
 * (domain/secrets/secret-reseal.ts): signing keys' private parts, TOTP secrets, webhook secrets.
 * Values arrive sealed by the domain; this only pages through them and swaps them in place.
 */
import type { Kysely, Transaction } from "kysely";
import type {
  SealedSecretKind,
  SealedSecretRow,
  SealedSecretStore,
  SealedValue,
} from "../../domain/secrets/sealed-secret-store.js";
import type { Database } from "./schema.js";

type Db = Kysely<Database> | Transaction<Database>;

interface Page {
  exceptKeyId: string | null;
  afterId: string | null;
  limit: number;
}

/** One table's way of listing and swapping its sealed column. */
interface SealedTable {
  list(db: Db, page: Page): Promise<SealedSecretRow[]>;
  /** True when the row still held `from` and now holds `to`. */
  swap(db: Db, id: string, from: SealedValue, to: SealedValue): Promise<boolean>;
}

const updated = (result: { numUpdatedRows: bigint }) => result.numUpdatedRows > 0n;

const TABLES: Record<SealedSecretKind, SealedTable> = {
  // No key id column: every key is read (there are a handful), the domain tries the keys.
  signing_key: {
    async list(db, page) {
      let query = db.selectFrom("signing_keys").select(["kid", "private_key_sealed"]);
      if (page.afterId !== null) query = query.where("kid", ">", page.afterId);
      const rows = await query.orderBy("kid").limit(page.limit).execute();
      return rows.map((row) => ({ id: row.kid, keyId: null, sealed: row.private_key_sealed }));
    },
    async swap(db, id, from, to) {
      const result = await db
        .updateTable("signing_keys")
        .set({ private_key_sealed: to.sealed })
        .where("kid", "=", id)
        .where("private_key_sealed", "=", from.sealed)
        .executeTakeFirst();
      return updated(result);
    },
  },
  totp_secret: {
    async list(db, page) {
      let query = db.selectFrom("mfa_totp").select(["user_id", "key_id", "secret_sealed"]);
      if (page.exceptKeyId !== null) query = query.where("key_id", "!=", page.exceptKeyId);
      if (page.afterId !== null) query = query.where("user_id", ">", page.afterId);
      const rows = await query.orderBy("user_id").limit(page.limit).execute();
      return rows.map((row) => ({ id: row.user_id, keyId: row.key_id, sealed: row.secret_sealed }));
    },
    async swap(db, id, from, to) {
      if (to.keyId === null) throw new Error("a TOTP secret is sealed with a key id");
      const result = await db
        .updateTable("mfa_totp")
        .set({ secret_sealed: to.sealed, key_id: to.keyId })
        .where("user_id", "=", id)
        .where("secret_sealed", "=", from.sealed)
        .executeTakeFirst();
      return updated(result);
    },
  },
  webhook_secret: {
    async list(db, page) {
      let query = db.selectFrom("webhooks").select(["id", "secret_key_id", "secret_sealed"]);
      if (page.exceptKeyId !== null) query = query.where("secret_key_id", "!=", page.exceptKeyId);
      if (page.afterId !== null) query = query.where("id", ">", page.afterId);
      const rows = await query.orderBy("id").limit(page.limit).execute();
      return rows.map((row) => ({ id: row.id, keyId: row.secret_key_id, sealed: row.secret_sealed }));
    },
    async swap(db, id, from, to) {
      if (to.keyId === null) throw new Error("a webhook secret is sealed with a key id");
      const result = await db
        .updateTable("webhooks")
        .set({ secret_sealed: to.sealed, secret_key_id: to.keyId })
        .where("id", "=", id)
        .where("secret_sealed", "=", from.sealed)
        .executeTakeFirst();
      return updated(result);
    },
  },
};

export function createSealedSecretRepository(db: Kysely<Database>): SealedSecretStore {
  return {
    listSealedSecrets: (kind, page) => TABLES[kind].list(db, page),
    async replaceSealedSecrets(kind, batch) {
      return db.transaction().execute(async (trx) => {
        let written = 0;
        for (const { id, from, to } of batch) if (await TABLES[kind].swap(trx, id, from, to)) written += 1;
        return written;
      });
    },
  };
}
