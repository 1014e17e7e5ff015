/**
 * Storage for `oidc-provider`'s artefacts (its adapter interface), in the SQL database every
 * instance shares, so any instance serves any step of a flow. One row per (model, id) holds the
 * JSON payload; `grant_id` and `uid` are indexed for the two lookups the provider makes. A row past
 * `expires_at` is treated as gone (and pruned later); `consumed_at` marks a used code or a
 * rotated refresh token, which the provider needs to see in order to detect reuse.
 */
import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

/** What `oidc-provider` stores: a JSON object with, at times, `grantId`, `uid`, `userCode`. */
export type OidcPayload = Record<string, unknown> & { grantId?: string; uid?: string; consumed?: number };

/** The adapter contract of `oidc-provider` (its `adapter` configuration option), for one model. */
export interface OidcModelStore {
  upsert(id: string, payload: OidcPayload, expiresIn: number | undefined): Promise<void>;
  find(id: string): Promise<OidcPayload | undefined>;
  findByUid(uid: string): Promise<OidcPayload | undefined>;
  findByUserCode(userCode: string): Promise<OidcPayload | undefined>;
  /** Marks it used; false when it was used already (another request got there first). */
  consume(id: string): Promise<boolean>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

export interface OidcModelRepository {
  /** The store for one model name ("Session", "AuthorizationCode", "RefreshToken", …). */
  forModel(model: string): OidcModelStore;
  /** Deletes every artefact of the given grants (codes, refresh tokens, the grants themselves). */
  destroyGrants(grantIds: readonly string[]): Promise<void>;
  /** Deletes provider sessions by their uid (Portcullis sign-out ends them). */
  destroySessionsByUid(uids: readonly string[]): Promise<void>;
  /** Drops rows past their expiry; returns how many. */
  pruneExpired(now: number): Promise<number>;
}

export function createOidcModelRepository(db: Kysely<Database>, now: () => number): OidcModelRepository {
  const live = (expiresAt: number | null) => expiresAt === null || expiresAt > now();
  const read = (
    row: { payload: string; expires_at: number | null; consumed_at: number | null } | undefined,
  ) => {
    if (row === undefined || !live(row.expires_at)) return undefined;
    const payload = JSON.parse(row.payload) as OidcPayload;
    if (row.consumed_at !== null) payload.consumed = Math.floor(row.consumed_at / 1000);
    return payload;
  };

  function forModel(model: string): OidcModelStore {
    return {
      async upsert(id, payload, expiresIn) {
        const row = {
          payload: JSON.stringify(payload),
          grant_id: typeof payload.grantId === "string" ? payload.grantId : null,
          uid: typeof payload.uid === "string" ? payload.uid : null,
          expires_at: expiresIn === undefined ? null : now() + expiresIn * 1000,
        };
        await db
          .insertInto("oidc_models")
          .values({ model, id, consumed_at: null, ...row })
          .onConflict((conflict) => conflict.columns(["model", "id"]).doUpdateSet(row))
          .execute();
      },
      async find(id) {
        const row = await db
          .selectFrom("oidc_models")
          .select(["payload", "expires_at", "consumed_at"])
          .where("model", "=", model)
          .where("id", "=", id)
          .executeTakeFirst();
        return read(row);
      },
      async findByUid(uid) {
        const row = await db
          .selectFrom("oidc_models")
          .select(["payload", "expires_at", "consumed_at"])
          .where("model", "=", model)
          .where("uid", "=", uid)
          .executeTakeFirst();
        return read(row);
      },
      // The device flow is off: no user codes are ever stored.
      async findByUserCode() {
        return undefined;
      },
      async consume(id) {
        const result = await db
          .updateTable("oidc_models")
          .set({ consumed_at: now() })
          .where("model", "=", model)
          .where("id", "=", id)
          .where("consumed_at", "is", null)
          .executeTakeFirst();
        return result.numUpdatedRows === 1n;
      },
      async destroy(id) {
        await db.deleteFrom("oidc_models").where("model", "=", model).where("id", "=", id).execute();
      },
      async revokeByGrantId(grantId) {
        await db.deleteFrom("oidc_models").where("grant_id", "=", grantId).execute();
      },
    };
  }

  return {
    forModel,
    async destroyGrants(grantIds) {
      if (grantIds.length === 0) return;
      await db
        .deleteFrom("oidc_models")
        .where((eb) =>
          eb.or([
            eb("grant_id", "in", grantIds),
            eb.and([eb("model", "=", "Grant"), eb("id", "in", grantIds)]),
          ]),
        )
        .execute();
    },
    async destroySessionsByUid(uids) {
      if (uids.length === 0) return;
      await db.deleteFrom("oidc_models").where("model", "=", "Session").where("uid", "in", uids).execute();
    },
    async pruneExpired(at) {
      const result = await db.deleteFrom("oidc_models").where("expires_at", "<", at).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
