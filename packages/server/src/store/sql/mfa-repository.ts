/** TOTP enrolments, backup codes (hashed) and `users.mfa_enabled`, in SQL. */
import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { MfaStore } from "../../domain/mfa/mfa-store.js";
import { compiledQuery } from "./compiled-query.js";
import type { Database } from "./schema.js";

// On every sign-in (compiled-query.ts).
const factorCounts = compiledQuery((db, userId: string) =>
  db.selectNoFrom((eb) => [
    eb
      .selectFrom("mfa_totp")
      .select((c) => c.fn.countAll().as("n"))
      .where("user_id", "=", userId)
      .where("enabled_at", "is not", null)
      .as("totp"),
    eb
      .selectFrom("mfa_backup_codes")
      .select((c) => c.fn.countAll().as("n"))
      .where("user_id", "=", userId)
      .where("used_at", "is", null)
      .as("backup_codes"),
    eb
      .selectFrom("webauthn_credentials")
      .select((c) => c.fn.countAll().as("n"))
      .where("user_id", "=", userId)
      .as("passkeys"),
  ]),
);

export function createMfaRepository(
  db: Kysely<Database>,
  changed: (userId: string) => void = () => {},
): MfaStore {
  return {
    async findMfaFactors(userId) {
      const [row] = await factorCounts(db, userId);
      if (row === undefined) throw new Error("findMfaFactors: the counts query returned no row");
      return {
        totp: Number(row.totp) > 0,
        backupCodes: Number(row.backup_codes),
        passkeys: Number(row.passkeys),
      };
    },

    async findTotpEnrollment(userId) {
      const row = await db
        .selectFrom("mfa_totp")
        .selectAll()
        .where("user_id", "=", userId)
        .executeTakeFirst();
      if (row === undefined) return undefined;
      return {
        userId: row.user_id,
        secret: { keyId: row.key_id, sealed: row.secret_sealed },
        createdAt: Number(row.created_at),
        enabledAt: row.enabled_at === null ? null : Number(row.enabled_at),
        lastUsedStep: Number(row.last_used_step),
      };
    },

    async savePendingTotp(userId, secret, at) {
      // One statement on both dialects: a pending row is replaced, an enabled one left alone.
      const result = await db
        .insertInto("mfa_totp")
        .values({
          user_id: userId,
          secret_sealed: secret.sealed,
          key_id: secret.keyId,
          created_at: at,
          enabled_at: null,
          last_used_step: 0,
        })
        .onConflict((conflict) =>
          conflict
            .column("user_id")
            .doUpdateSet({
              secret_sealed: secret.sealed,
              key_id: secret.keyId,
              created_at: at,
              last_used_step: 0,
            })
            .where("mfa_totp.enabled_at", "is", null),
        )
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
    },

    async enableTotp(userId, step, at) {
      const result = await db
        .updateTable("mfa_totp")
        .set({ enabled_at: at, last_used_step: step })
        .where("user_id", "=", userId)
        .where("enabled_at", "is", null)
        .where("last_used_step", "<", step)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async spendTotpStep(userId, step) {
      const result = await db
        .updateTable("mfa_totp")
        .set({ last_used_step: step })
        .where("user_id", "=", userId)
        .where("enabled_at", "is not", null)
        .where("last_used_step", "<", step)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async deleteTotp(userId) {
      const result = await db.deleteFrom("mfa_totp").where("user_id", "=", userId).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async replaceBackupCodes(userId, codeHashes, at) {
      await db.deleteFrom("mfa_backup_codes").where("user_id", "=", userId).execute();
      if (codeHashes.length === 0) return;
      await db
        .insertInto("mfa_backup_codes")
        .values(
          codeHashes.map((codeHash) => ({
            id: randomUUID(),
            user_id: userId,
            code_hash: codeHash,
            created_at: at,
            used_at: null,
          })),
        )
        .execute();
    },

    async spendBackupCode(userId, codeHash, at) {
      const result = await db
        .updateTable("mfa_backup_codes")
        .set({ used_at: at })
        .where("user_id", "=", userId)
        .where("code_hash", "=", codeHash)
        .where("used_at", "is", null)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async deleteBackupCodes(userId) {
      const result = await db.deleteFrom("mfa_backup_codes").where("user_id", "=", userId).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async setMfaEnabled(userId, enabled, at) {
      await db
        .updateTable("users")
        .set({ mfa_enabled: enabled ? 1 : 0, updated_at: at })
        .where("id", "=", userId)
        .execute();
      changed(userId);
    },
  };
}
