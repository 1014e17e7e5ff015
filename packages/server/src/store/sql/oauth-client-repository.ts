/** The OpenID provider's OAuth clients in SQL: lists as JSON text, the secret only as its SHA-256. */
import type { Kysely, Selectable } from "kysely";
import type {
  ClientType,
  GrantType,
  OAuthClient,
  OAuthClientStore,
} from "../../domain/oauth-clients/oauth-client.js";
import type { Database, OAuthClientsTable } from "./schema.js";

function toOAuthClient(row: Selectable<OAuthClientsTable>): OAuthClient {
  return {
    id: row.id,
    name: row.name,
    type: row.type as ClientType,
    secretHash: row.secret_hash,
    redirectUris: JSON.parse(row.redirect_uris) as string[],
    postLogoutRedirectUris: JSON.parse(row.post_logout_redirect_uris) as string[],
    grantTypes: JSON.parse(row.grant_types) as GrantType[],
    scopes: JSON.parse(row.scopes) as string[],
    firstParty: Number(row.first_party) === 1,
    backchannelLogoutUri: row.backchannel_logout_uri,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** The columns every write sets from a client. */
function settingsOf(client: OAuthClient) {
  return {
    name: client.name,
    redirect_uris: JSON.stringify(client.redirectUris),
    post_logout_redirect_uris: JSON.stringify(client.postLogoutRedirectUris),
    grant_types: JSON.stringify(client.grantTypes),
    scopes: JSON.stringify(client.scopes),
    first_party: client.firstParty ? 1 : 0,
    backchannel_logout_uri: client.backchannelLogoutUri,
    updated_at: client.updatedAt,
  };
}

export function createOAuthClientRepository(db: Kysely<Database>): OAuthClientStore {
  return {
    async insertOAuthClient(client) {
      await db
        .insertInto("oauth_clients")
        .values({
          id: client.id,
          type: client.type,
          secret_hash: client.secretHash,
          created_at: client.createdAt,
          ...settingsOf(client),
        })
        .execute();
    },
    async findOAuthClientById(id) {
      const row = await db.selectFrom("oauth_clients").selectAll().where("id", "=", id).executeTakeFirst();
      return row === undefined ? undefined : toOAuthClient(row);
    },
    async listOAuthClients() {
      const rows = await db
        .selectFrom("oauth_clients")
        .selectAll()
        .orderBy("created_at", "asc")
        .orderBy("id", "asc")
        .execute();
      return rows.map(toOAuthClient);
    },
    async updateOAuthClient(client) {
      const result = await db
        .updateTable("oauth_clients")
        .set(settingsOf(client))
        .where("id", "=", client.id)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },
    async replaceOAuthClientSecretHash(id, secretHash, at) {
      const result = await db
        .updateTable("oauth_clients")
        .set({ secret_hash: secretHash, updated_at: at })
        .where("id", "=", id)
        .where("type", "=", "confidential")
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },
    async deleteOAuthClient(id) {
      const result = await db.deleteFrom("oauth_clients").where("id", "=", id).executeTakeFirst();
      return result.numDeletedRows === 1n;
    },
  };
}
