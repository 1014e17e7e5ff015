/**
 * `oidc-provider`'s short-lived artefacts — interactions, pushed authorization requests, DPoP
 * proof replay marks — in the ephemeral store (Redis, when configured) rather than SQL: they live
 * minutes, are read a few times and never looked up by grant. Each value carries its expiry, so a
 * consumed one keeps its remaining lifetime.
 */
import type { Clock } from "../../domain/clock.js";
import type { EphemeralStore } from "../../domain/ephemeral/ephemeral-store.js";
import type { OidcModelStore, OidcPayload } from "../sql/oidc-model-repository.js";

/** The models kept here; everything else stays in SQL. */
export const EPHEMERAL_OIDC_MODELS: ReadonlySet<string> = new Set([
  "Interaction",
  "PushedAuthorizationRequest",
  "ReplayDetection",
]);

/** Kept when no lifetime is given (the provider gives one for each of these models). */
const DEFAULT_TTL_MS = 10 * 60_000;

interface Stored {
  payload: OidcPayload;
  expiresAt: number;
}

export function createEphemeralOidcModelStore(
  ephemeral: EphemeralStore,
  clock: Clock,
  model: string,
): OidcModelStore {
  const key = (id: string) => `oidc:${model}:${id}`;
  const read = async (id: string): Promise<Stored | undefined> => {
    const value = await ephemeral.get(key(id));
    return value === undefined ? undefined : (JSON.parse(value) as Stored);
  };
  return {
    async upsert(id, payload, expiresIn) {
      const ttlMs = expiresIn === undefined ? DEFAULT_TTL_MS : expiresIn * 1000;
      const stored: Stored = { payload, expiresAt: clock.now() + ttlMs };
      await ephemeral.put(key(id), JSON.stringify(stored), ttlMs);
    },
    async find(id) {
      return (await read(id))?.payload;
    },
    findByUid: async () => undefined,
    findByUserCode: async () => undefined,
    async consume(id) {
      // First use wins: a mark of its own, set only if absent (atomic across instances).
      const stored = await read(id);
      if (stored === undefined) return false;
      const ttlMs = Math.max(1, stored.expiresAt - clock.now());
      if (!(await ephemeral.putIfAbsent(`${key(id)}:consumed`, "1", ttlMs))) return false;
      stored.payload.consumed = Math.floor(clock.now() / 1000);
      await ephemeral.put(key(id), JSON.stringify(stored), ttlMs);
      return true;
    },
    async destroy(id) {
      await ephemeral.delete(key(id));
    },
    revokeByGrantId: async () => {},
  };
}
