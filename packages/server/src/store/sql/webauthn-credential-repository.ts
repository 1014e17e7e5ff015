/** WebAuthn credentials (passkeys) in SQL; public keys as base64url text, counters as integers. */
import type { Kysely, Selectable } from "kysely";
import type {
  WebAuthnCredentialRecord,
  WebAuthnCredentialStore,
} from "../../domain/webauthn/webauthn-credential.js";
import type { Database, WebAuthnCredentialsTable } from "./schema.js";
import { isUniqueViolation } from "./sql-errors.js";

function toCredential(row: Selectable<WebAuthnCredentialsTable>): WebAuthnCredentialRecord {
  return {
    id: row.id,
    userId: row.user_id,
    credentialId: row.credential_id,
    publicKey: new Uint8Array(Buffer.from(row.public_key, "base64url")),
    counter: Number(row.counter),
    transports: JSON.parse(row.transports) as string[],
    deviceType: row.device_type,
    backedUp: row.backed_up === 1,
    aaguid: row.aaguid,
    name: row.name,
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
  };
}

export function createWebAuthnCredentialRepository(db: Kysely<Database>): WebAuthnCredentialStore {
  return {
    async insertWebAuthnCredential(credential) {
      try {
        await db
          .insertInto("webauthn_credentials")
          .values({
            id: credential.id,
            user_id: credential.userId,
            credential_id: credential.credentialId,
            public_key: Buffer.from(credential.publicKey).toString("base64url"),
            counter: credential.counter,
            transports: JSON.stringify(credential.transports),
            device_type: credential.deviceType,
            backed_up: credential.backedUp ? 1 : 0,
            aaguid: credential.aaguid,
            name: credential.name,
            created_at: credential.createdAt,
            last_used_at: credential.lastUsedAt,
          })
          .execute();
        return "inserted";
      } catch (error) {
        if (isUniqueViolation(error)) return "credential_taken";
        throw error;
      }
    },

    async findWebAuthnCredentialByCredentialId(credentialId) {
      const row = await db
        .selectFrom("webauthn_credentials")
        .selectAll()
        .where("credential_id", "=", credentialId)
        .executeTakeFirst();
      return row === undefined ? undefined : toCredential(row);
    },

    async listWebAuthnCredentialsOfUser(userId) {
      const rows = await db
        .selectFrom("webauthn_credentials")
        .selectAll()
        .where("user_id", "=", userId)
        .orderBy("created_at")
        .orderBy("id")
        .execute();
      return rows.map(toCredential);
    },

    async recordWebAuthnUse(id, expectedCounter, newCounter, at) {
      const result = await db
        .updateTable("webauthn_credentials")
        .set({ counter: newCounter, last_used_at: at })
        .where("id", "=", id)
        .where("counter", "=", expectedCounter)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async deleteWebAuthnCredentialOfUser(userId, id) {
      const row = await db
        .selectFrom("webauthn_credentials")
        .selectAll()
        .where("id", "=", id)
        .where("user_id", "=", userId)
        .executeTakeFirst();
      if (row === undefined) return undefined;
      const result = await db
        .deleteFrom("webauthn_credentials")
        .where("id", "=", id)
        .where("user_id", "=", userId)
        .executeTakeFirst();
      return result.numDeletedRows === 1n ? toCredential(row) : undefined;
    },

    async deleteWebAuthnCredentialsOfUser(userId) {
      const result = await db
        .deleteFrom("webauthn_credentials")
        .where("user_id", "=", userId)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
