/**
 * Users as `GET /v1/me` and the hot paths read them, kept for a few seconds so a request costs no
 * I/O. A write to a user row anywhere (the store reports each one after its commit) drops the
 * copy here and, over the bus, on every other instance; a revocation of the user does too. The
 * cache is used only while the bus is connected, since without it those drops would not arrive.
 */
import { createExpiringCache } from "../cache/expiring-cache.js";
import type { Clock } from "../clock.js";
import type { Persistence } from "../persistence.js";
import type { RevocationBus } from "../sessions/revocation.js";
import type { User } from "./user.js";

const USER_CACHE_ENTRIES = 10_000;
const USER_CACHE_TTL_MS = 5_000;

export interface UserCache {
  findUser(id: string): Promise<User | undefined>;
  /** A user row was written on this instance (after its commit): forget it here and everywhere. */
  userChanged(id: string): void;
}

export function createUserCache(deps: {
  persistence: Persistence;
  clock: Clock;
  bus: RevocationBus;
  /** Users kept at most (PORTCULLIS_CACHE_ENTRIES). */
  maxEntries?: number;
  ttlMs?: number;
}): UserCache {
  const { persistence, clock, bus } = deps;
  const cache = createExpiringCache<string, User>({
    maxEntries: deps.maxEntries ?? USER_CACHE_ENTRIES,
    ttlMs: deps.ttlMs ?? USER_CACHE_TTL_MS,
    clock,
  });
  bus.subscribe((event) => {
    if (event.kind === "user" || event.kind === "user_changed") cache.delete(event.userId);
  });
  bus.onConnectionChange(() => cache.clear());

  return {
    async findUser(id) {
      const cached = bus.connected ? cache.get(id) : undefined;
      if (cached !== undefined) return cached;
      const version = cache.version;
      const user = await persistence.users.findUserById(id);
      if (user !== undefined && bus.connected) cache.setIfUnchanged(id, user, version);
      return user;
    },
    userChanged(id) {
      cache.delete(id);
      void bus.publish({ kind: "user_changed", userId: id, at: clock.now() });
    },
  };
}
