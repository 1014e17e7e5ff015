/**
 * What people allowed OpenID clients (consents), and which Portcullis session each provider grant
 * was made in, so that ending the session ends the grant. A grant id is the `sid` of the access
 * tokens issued under it; a revoked grant keeps its row (with `revoked_at`) for as long as such a
 * token could live, so every instance and resource server learns of it like a revoked session.
 */
import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

export interface OAuthConsent {
  clientId: string;
  scopes: string[];
  createdAt: number;
  updatedAt: number;
}

export interface GrantSession {
  grantId: string;
  sessionId: string;
  userId: string;
  clientId: string;
  amr: string[];
  /** Seconds since the epoch. */
  authTime: number;
  oidcSid?: string | null;
}

/** A grant this call revoked: who held it, for the back-channel logout to the client. */
export interface RevokedGrant {
  grantId: string;
  clientId: string;
  /** Null for a client-credentials token's row. */
  userId: string | null;
  oidcSid: string | null;
}

export interface OAuthGrantRepository {
  findConsent(userId: string, clientId: string): Promise<OAuthConsent | undefined>;
  /** Remembers the scopes allowed (the union with what was allowed before). */
  saveConsent(userId: string, clientId: string, scopes: readonly string[], at: number): Promise<void>;
  listConsentsOfUser(userId: string): Promise<OAuthConsent[]>;
  /** Forgets a consent and revokes the grants made for that client. */
  deleteConsent(userId: string, clientId: string, at: number): Promise<RevokedGrant[]>;
  linkGrant(link: GrantSession, at: number): Promise<void>;
  /** A live (unrevoked) grant's link. */
  findGrantSession(grantId: string): Promise<GrantSession | undefined>;
  /** Revokes the grants not revoked yet; returns those this call revoked. */
  revokeGrants(grantIds: readonly string[], at: number): Promise<RevokedGrant[]>;
  revokeGrantsOfSessions(sessionIds: readonly string[], at: number): Promise<RevokedGrant[]>;
  revokeGrantsOfUser(userId: string, at: number): Promise<RevokedGrant[]>;
  /** A deleted client: forgets its consents and revokes its grants. */
  revokeEverythingOfClient(clientId: string, at: number): Promise<RevokedGrant[]>;
  /** Remembers the provider's `sid` of the client's ID tokens for the grant (back-channel logout). */
  setOidcSid(grantId: string, oidcSid: string): Promise<void>;
  /** Records one client-credentials token's `sid` as revoked (RFC 7009 revocation). */
  revokeClientCredentialsToken(sid: string, clientId: string, at: number): Promise<void>;
  /** Drops rows revoked before `before` (no token naming them can still be valid). */
  pruneRevoked(before: number): Promise<void>;
}

/**
 * The `sid` of a client-credentials access token: its own, so that one token can be revoked.
 * A deleted client's tokens are revoked through their `sub` (the client id) instead.
 */
export const clientCredentialsSid = (clientId: string, jti: string) => `client:${clientId}:${jti}`;

export function createOAuthGrantRepository(db: Kysely<Database>): OAuthGrantRepository {
  const splitScopes = (scopes: string) => scopes.split(" ").filter((scope) => scope !== "");
  const toConsent = (row: { client_id: string; scopes: string; created_at: number; updated_at: number }) => ({
    clientId: row.client_id,
    scopes: splitScopes(row.scopes),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  });

  /** Marks live grants revoked in one statement, so of concurrent callers only one gets each row. */
  async function revokeWhere(
    trx: Kysely<Database>,
    column: "grant_id" | "session_id" | "user_id" | "client_id",
    values: readonly string[],
    at: number,
  ): Promise<RevokedGrant[]> {
    if (values.length === 0) return [];
    const rows = await trx
      .updateTable("oidc_grant_sessions")
      .set({ revoked_at: at })
      .where(column, "in", values)
      .where("revoked_at", "is", null)
      .returning(["grant_id", "client_id", "user_id", "oidc_sid"])
      .execute();
    return rows.map((row) => ({
      grantId: row.grant_id,
      clientId: row.client_id,
      userId: row.user_id,
      oidcSid: row.oidc_sid,
    }));
  }

  return {
    async findConsent(userId, clientId) {
      const row = await db
        .selectFrom("oauth_consents")
        .selectAll()
        .where("user_id", "=", userId)
        .where("client_id", "=", clientId)
        .executeTakeFirst();
      return row === undefined ? undefined : toConsent(row);
    },
    async saveConsent(userId, clientId, scopes, at) {
      await db.transaction().execute(async (trx) => {
        const existing = await trx
          .selectFrom("oauth_consents")
          .select("scopes")
          .where("user_id", "=", userId)
          .where("client_id", "=", clientId)
          .executeTakeFirst();
        const union = [
          ...new Set([...(existing === undefined ? [] : splitScopes(existing.scopes)), ...scopes]),
        ];
        await trx
          .insertInto("oauth_consents")
          .values({
            user_id: userId,
            client_id: clientId,
            scopes: union.join(" "),
            created_at: at,
            updated_at: at,
          })
          .onConflict((conflict) =>
            conflict
              .columns(["user_id", "client_id"])
              .doUpdateSet({ scopes: union.join(" "), updated_at: at }),
          )
          .execute();
      });
    },
    async listConsentsOfUser(userId) {
      const rows = await db
        .selectFrom("oauth_consents")
        .selectAll()
        .where("user_id", "=", userId)
        .orderBy("updated_at", "desc")
        .execute();
      return rows.map(toConsent);
    },
    async deleteConsent(userId, clientId, at) {
      return db.transaction().execute(async (trx) => {
        await trx
          .deleteFrom("oauth_consents")
          .where("user_id", "=", userId)
          .where("client_id", "=", clientId)
          .execute();
        const rows = await trx
          .selectFrom("oidc_grant_sessions")
          .select("grant_id")
          .where("user_id", "=", userId)
          .where("client_id", "=", clientId)
          .execute();
        return revokeWhere(
          trx,
          "grant_id",
          rows.map((row) => row.grant_id),
          at,
        );
      });
    },
    async linkGrant(link, at) {
      const row = {
        session_id: link.sessionId,
        user_id: link.userId,
        client_id: link.clientId,
        amr: JSON.stringify(link.amr),
        auth_time: link.authTime,
      };
      await db
        .insertInto("oidc_grant_sessions")
        .values({ grant_id: link.grantId, created_at: at, ...row })
        .onConflict((conflict) => conflict.column("grant_id").doUpdateSet(row))
        .execute();
    },
    async findGrantSession(grantId) {
      const row = await db
        .selectFrom("oidc_grant_sessions")
        .selectAll()
        .where("grant_id", "=", grantId)
        .where("revoked_at", "is", null)
        .executeTakeFirst();
      if (row === undefined || row.session_id === null || row.user_id === null) return undefined;
      return {
        grantId: row.grant_id,
        sessionId: row.session_id,
        userId: row.user_id,
        clientId: row.client_id,
        amr: JSON.parse(row.amr) as string[],
        authTime: Number(row.auth_time),
        oidcSid: row.oidc_sid,
      };
    },
    revokeGrants: (grantIds, at) => revokeWhere(db, "grant_id", grantIds, at),
    revokeGrantsOfSessions: (sessionIds, at) => revokeWhere(db, "session_id", sessionIds, at),
    revokeGrantsOfUser: (userId, at) => revokeWhere(db, "user_id", [userId], at),
    async revokeEverythingOfClient(clientId, at) {
      return db.transaction().execute(async (trx) => {
        await trx.deleteFrom("oauth_consents").where("client_id", "=", clientId).execute();
        return revokeWhere(trx, "client_id", [clientId], at);
      });
    },
    async revokeClientCredentialsToken(sid, clientId, at) {
      await db
        .insertInto("oidc_grant_sessions")
        .values({
          grant_id: sid,
          session_id: null,
          user_id: null,
          client_id: clientId,
          amr: "[]",
          auth_time: 0,
          created_at: at,
          revoked_at: at,
        })
        .onConflict((conflict) => conflict.column("grant_id").doNothing())
        .execute();
    },
    async setOidcSid(grantId, oidcSid) {
      await db
        .updateTable("oidc_grant_sessions")
        .set({ oidc_sid: oidcSid })
        .where("grant_id", "=", grantId)
        .where("oidc_sid", "is", null)
        .execute();
    },
    async pruneRevoked(before) {
      await db.deleteFrom("oidc_grant_sessions").where("revoked_at", "<", before).execute();
    },
  };
}
