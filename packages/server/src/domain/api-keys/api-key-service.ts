/**
 * API keys (API.md "API keys"): long-lived credentials a user makes for scripts and services.
 * A key is shown once, at creation; only its SHA-256 is stored. It is found by its public prefix
 * and checked in constant time; a revoked or expired key, or one whose owner is disabled or
 * deleted, authenticates nobody. `lastUsedAt` is kept in memory and written in batches
 * (`flushLastUsed`, on a timer), so using a key costs reads only.
 *
 * Keys are created by a signed-in user for themselves; the owner is always the caller, never a
 * user id from the request (the Better Auth CVE-2025-61928 class, security.md §2.8). A few scopes
 * need a role to be granted at all (`introspect` reveals whose any token is: administrators only),
 * checked against the creator's current roles.
 */
import { randomUUID } from "node:crypto";
import type { ClientContext } from "../audit/audit-event.js";
import { scopesBeyondRoles } from "../authz/scopes.js";
import type { Clock } from "../clock.js";
import type { Persistence } from "../persistence.js";
import type { User } from "../users/user.js";
import type { ApiKey } from "./api-key.js";
import {
  apiKeyMatches,
  apiKeyPrefix,
  generateApiKey,
  hashApiKey,
  type RandomSource,
} from "./api-key-format.js";

export interface ApiKeyServiceDeps {
  persistence: Persistence;
  clock: Clock;
  random?: RandomSource;
}

export interface CreateApiKeyInput {
  name: string;
  scopes: string[];
  /** Epoch milliseconds; null for a key that does not expire. */
  expiresAt: number | null;
}

export type CreateApiKeyOutcome =
  | { ok: true; apiKey: ApiKey; key: string }
  | { ok: false; code: "expiry_in_past" }
  /** Scopes only a role the creator lacks may grant (`introspect`: administrators). */
  | { ok: false; code: "scope_not_allowed"; scopes: string[] };

export interface ApiKeyService {
  createApiKey(userId: string, input: CreateApiKeyInput, client: ClientContext): Promise<CreateApiKeyOutcome>;
  listApiKeys(userId: string): Promise<ApiKey[]>;
  /** False when the user has no such live key (another user's key included). */
  revokeApiKey(userId: string, id: string, client: ClientContext): Promise<boolean>;
  /** The key and its owner, or null when the key authenticates nobody. */
  authenticate(presented: string): Promise<{ key: ApiKey; user: User } | null>;
  /** Writes the `lastUsedAt` times gathered since the last flush; returns how many keys. */
  flushLastUsed(): Promise<number>;
}

const PREFIX_ATTEMPTS = 3;

export function createApiKeyService(deps: ApiKeyServiceDeps): ApiKeyService {
  const { persistence, clock } = deps;
  /** Key id → the last time this instance saw it used, not yet written. */
  const pendingUses = new Map<string, number>();

  async function insertNewKey(userId: string, input: CreateApiKeyInput, client: ClientContext, now: number) {
    // A prefix collision (~71 random bits) is all but impossible; the unique index still decides.
    for (let attempt = 0; attempt < PREFIX_ATTEMPTS; attempt += 1) {
      const { key, prefix } = generateApiKey(deps.random);
      const apiKey: ApiKey = {
        id: randomUUID(),
        userId,
        name: input.name,
        prefix,
        keyHash: hashApiKey(key),
        scopes: [...new Set(input.scopes)],
        createdAt: now,
        expiresAt: input.expiresAt,
        lastUsedAt: null,
        revokedAt: null,
      };
      const inserted = await persistence.transaction(async (stores) => {
        if ((await stores.apiKeys.insertApiKey(apiKey)) === "prefix_taken") return false;
        await stores.audit.appendAuditEvent({
          type: "api_key.created",
          userId,
          actorId: userId,
          ip: client.ip,
          userAgent: client.userAgent,
          details: { keyId: apiKey.id, name: apiKey.name, prefix, scopes: apiKey.scopes.join(" ") },
          at: now,
        });
        return true;
      });
      if (inserted) return { ok: true, apiKey, key } as const;
    }
    throw new Error("createApiKey: could not find a free key prefix");
  }

  return {
    async createApiKey(userId, input, client) {
      const now = clock.now();
      if (input.expiresAt !== null && input.expiresAt <= now) return { ok: false, code: "expiry_in_past" };
      const creator = await persistence.users.findUserById(userId);
      const beyond = scopesBeyondRoles(input.scopes, creator?.roles ?? []);
      if (beyond.length > 0) return { ok: false, code: "scope_not_allowed", scopes: beyond };
      return insertNewKey(userId, { ...input, name: input.name.trim() }, client, now);
    },

    listApiKeys: (userId) => persistence.apiKeys.listLiveApiKeysOfUser(userId),

    async revokeApiKey(userId, id, client) {
      const now = clock.now();
      return persistence.transaction(async (stores) => {
        const key = await stores.apiKeys.findApiKeyOfUser(userId, id);
        if (key === undefined || !(await stores.apiKeys.revokeApiKey(key.id, now))) return false;
        await stores.audit.appendAuditEvent({
          type: "api_key.revoked",
          userId,
          actorId: userId,
          ip: client.ip,
          userAgent: client.userAgent,
          details: { keyId: key.id, name: key.name, prefix: key.prefix },
          at: now,
        });
        return true;
      });
    },

    async authenticate(presented) {
      const prefix = apiKeyPrefix(presented);
      if (prefix === null) return null;
      const key = await persistence.apiKeys.findApiKeyByPrefix(prefix);
      if (key === undefined || !apiKeyMatches(presented, key.keyHash)) return null;
      const now = clock.now();
      if (key.revokedAt !== null || (key.expiresAt !== null && key.expiresAt <= now)) return null;
      const user = await persistence.users.findUserById(key.userId);
      if (user === undefined || user.disabledAt !== null) return null;
      pendingUses.set(key.id, now);
      return { key, user };
    },

    async flushLastUsed() {
      if (pendingUses.size === 0) return 0;
      const uses = [...pendingUses].map(([id, at]) => ({ id, at }));
      pendingUses.clear();
      try {
        await persistence.apiKeys.recordApiKeysLastUsed(uses);
      } catch (error) {
        // Keep what was not written for the next flush, unless a newer use replaced it meanwhile.
        for (const { id, at } of uses) if (!pendingUses.has(id)) pendingUses.set(id, at);
        throw error;
      }
      return uses.length;
    },
  };
}
